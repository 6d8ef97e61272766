import { FakeClock } from './clock';
import { NonInviteServerTransaction } from './non-invite-server';
import { RecordingFlow } from '../../testing/recording-flow';
import { resolveTransactionTimers } from './timers';

function setup(reliable: boolean) {
  const clock = new FakeClock();
  const flow = new RecordingFlow(clock, reliable);
  const terminated: string[] = [];
  const failures: Error[] = [];
  const transaction = new NonInviteServerTransaction({
    key: 'k',
    responseFlow: flow,
    clock,
    timers: resolveTransactionTimers(),
    onTerminated: (key) => terminated.push(key),
    onFailure: (error) => failures.push(error),
  });
  return { clock, flow, transaction, terminated, failures };
}

describe('NonInviteServerTransaction (RFC 3261 §17.2.2, RFC 4320)', () => {
  it('discards retransmissions in Trying, resends the last response afterwards, ends after Timer J (UDP)', () => {
    const { clock, flow, transaction, terminated } = setup(false);
    transaction.receiveRetransmission();
    expect(flow.sent).toEqual([]);
    transaction.respond(100, Buffer.from('100 Trying'));
    transaction.receiveRetransmission();
    expect(flow.sent.map((send) => send.data)).toEqual(['100 Trying', '100 Trying']);
    clock.advance(1000);
    transaction.respond(200, Buffer.from('200 OK'));
    expect(transaction.state).toBe('completed');
    clock.advance(500);
    transaction.receiveRetransmission();
    expect(flow.sent.slice(2)).toEqual([
      { at: 1000, data: '200 OK' },
      { at: 1500, data: '200 OK' },
    ]);
    expect(() => transaction.respond(500, Buffer.from('500'))).toThrow(
      expect.objectContaining({ code: 'transaction-terminated' }),
    );
    clock.advance(31_499);
    expect(transaction.state).toBe('completed');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(terminated).toEqual(['k']);
  });

  it('terminates at once over TCP (Timer J = 0)', () => {
    const { clock, transaction } = setup(true);
    transaction.respond(200, Buffer.from('200 OK'));
    clock.advance(0);
    expect(transaction.state).toBe('terminated');
  });

  it.each([408, 180, 183])('refuses status %i for a non-INVITE request', (status) => {
    const { transaction, flow } = setup(false);
    expect(() => transaction.respond(status, Buffer.from('x'))).toThrow(
      expect.objectContaining({ code: 'response-not-allowed' }),
    );
    expect(flow.sent).toEqual([]);
  });

  it('gives up on a request its TU never answers after 64*T1', () => {
    const { clock, transaction, failures, terminated } = setup(false);
    clock.advance(31_999);
    expect(transaction.state).toBe('trying');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(failures).toEqual([expect.objectContaining({ code: 'unanswered' })]);
    expect(terminated).toEqual(['k']);
  });

  it('reports a failed send and terminates', async () => {
    const { flow, transaction, failures, terminated } = setup(true);
    flow.failSends = true;
    transaction.respond(200, Buffer.from('200 OK'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toHaveLength(1);
    expect(terminated).toEqual(['k']);
  });
});
