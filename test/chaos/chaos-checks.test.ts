// The chaos checker's rules for text/plain IMs (protocol.md §5, §7: a device gets none after one of
// its login.results, unless its binding may have lapsed since) and for commands without a result
// (excused only when answered while the device's binding had lapsed); checked on devices made up here.
import { SimulatedUser } from '../scale-out/simulated-user';
import type { ReceivedPush, SipClient } from '../support/sip-client';
import { type AcceptedCommand, imViolations, mayHaveLapsedSince, resultViolations } from './chaos-checks';

const TEXT = 'im #1 from a to b';

/** A device that received one text/plain MESSAGE at `arrivedAt` (performance.now() milliseconds). */
function deviceWithPlainText(arrivedAt: number): SipClient {
  const push = {
    method: 'MESSAGE',
    envelope: undefined,
    arrivals: [arrivedAt],
    request: { contentType: { mediaType: 'text/plain' }, bodyText: TEXT },
  } as unknown as ReceivedPush;
  return { contactUri: 'sip:b@127.0.0.1:5070', closed: false, pushes: [push] } as unknown as SipClient;
}

/** User b with that device, its logins and the moments from which its binding may have lapsed. */
function recipient(arrivedAt: number, logins: number[], rebinds: number[] = []): SimulatedUser {
  const user = new SimulatedUser(
    'b',
    { address: '127.0.0.1', port: 5060 },
    { domain: 'herald.test', password: 'secret', expiresSeconds: 45, clientT1Ms: 100 },
  );
  const device = deviceWithPlainText(arrivedAt);
  user.devices.push(device);
  user.logins.set(device, logins);
  user.rebinds.set(device, rebinds);
  return user;
}

const plainViolations = (user: SimulatedUser) =>
  imViolations([user], [], 0).filter(
    (violation) => violation.invariant === 'logged-in JSON clients get JSON',
  );

describe('chaos checker: text/plain to a logged-in device', () => {
  it('allows text/plain before the device logged in', () => {
    expect(plainViolations(recipient(1_000, [2_000]))).toEqual([]);
  });

  it('flags text/plain after a login.result, with the login and the arrival in order', () => {
    const [violation, ...others] = plainViolations(recipient(3_000, [2_000]));
    expect(others).toEqual([]);
    expect(violation?.ids).toEqual({ to: 'b', device: 'sip:b@127.0.0.1:5070' });
    expect(violation?.events).toEqual([
      { at: 2, event: 'sip:b@127.0.0.1:5070 got its ok login.result' },
      { at: 3, event: 'text/plain MESSAGE reached sip:b@127.0.0.1:5070' },
    ]);
  });

  it('allows text/plain once the binding may have lapsed after the login, until the next login', () => {
    expect(plainViolations(recipient(3_000, [1_000], [2_000]))).toEqual([]);
    expect(plainViolations(recipient(4_000, [1_000, 3_000], [2_000]))).toHaveLength(1);
  });

  it('flags text/plain between two logins when no lapse came between (a later login does not excuse it)', () => {
    expect(plainViolations(recipient(2_000, [1_000, 3_000]))).toHaveLength(1);
  });

  it('does not let a lapse before the login excuse text/plain after it', () => {
    expect(plainViolations(recipient(3_000, [2_000], [1_000]))).toHaveLength(1);
  });
});

describe('chaos checker: a command without a result on a still connected device', () => {
  /** b's device, connected, logged in at 1 s, that sent a presence.set accepted at 2 s and got no result. */
  function unanswered(rebinds: number[]): { user: SimulatedUser; command: AcceptedCommand } {
    const user = recipient(0, [1_000], rebinds);
    const device = user.devices[0]!;
    jest.spyOn(user, 'currentDevice', 'get').mockReturnValue(device);
    const envelope = { v: 1, id: 'b-1', type: 'presence.set', status: 'away' };
    return { user, command: { user, device, envelope, acceptedAt: 2_000 } };
  }

  it('flags it, however its binding went, unless it was answered while the binding had lapsed', () => {
    const { command } = unanswered([3_000]);
    expect(resultViolations([command], 0).map((violation) => violation.detail)).toEqual([
      'b presence.set b-1: no result on its still connected device',
    ]);
    expect(resultViolations([command], 0, new Set(['b-1']))).toEqual([]);
  });

  it('sees a lapse after the login in effect when the command came, not one before that login', () => {
    const { user, command } = unanswered([3_000]);
    expect(mayHaveLapsedSince(user, command.device!, command.acceptedAt)).toBe(true);
    const before = unanswered([500]);
    expect(mayHaveLapsedSince(before.user, before.command.device!, before.command.acceptedAt)).toBe(false);
    const none = unanswered([]);
    expect(mayHaveLapsedSince(none.user, none.command.device!, none.command.acceptedAt)).toBe(false);
  });
});
