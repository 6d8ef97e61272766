import { FakeClock } from './clock';
import { NonInviteClientTransaction } from './non-invite-client';
import { RecordingFlow } from '../../testing/recording-flow';
import { resolveTransactionTimers, TransactionTimerOptions } from './timers';

function setup(reliable: boolean, timerOptions: TransactionTimerOptions = {}) {
  const clock = new FakeClock();
  const flow = new RecordingFlow(clock, reliable);
  const provisional: number[] = [];
  const terminated: string[] = [];
  const retransmitted: number[] = [];
  const transaction = new NonInviteClientTransaction<string>({
    key: 'z9hG4bK-1|INFO',
    flow,
    request: Buffer.from('INFO'),
    clock,
    timers: resolveTransactionTimers(timerOptions),
    onProvisional: (statusCode) => provisional.push(statusCode),
    onTerminated: (key) => terminated.push(key),
    onRetransmit: () => retransmitted.push(clock.now()),
  });
  transaction.start();
  return { clock, flow, transaction, provisional, terminated, retransmitted };
}

describe('NonInviteClientTransaction (RFC 3261 §17.1.2)', () => {
  it('retransmits over UDP at +0.5, +1.5, +3.5, +7.5, +11.5 … and times out at F = 32 s', async () => {
    const { clock, flow, transaction, terminated } = setup(false);
    clock.advance(40_000);
    const expected = [0, 500, 1500, 3500, 7500];
    for (let at = 11_500; at < 32_000; at += 4000) expected.push(at);
    expect(flow.sent.map((send) => send.at)).toEqual(expected);
    expect(expected.slice(0, 8)).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500]);
    expect(await transaction.outcome).toEqual({ kind: 'timed-out' });
    expect(transaction.state).toBe('terminated');
    expect(terminated).toEqual(['z9hG4bK-1|INFO']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not retransmit over TCP and times out after the same 32 s', async () => {
    const { clock, flow, transaction } = setup(true);
    clock.advance(31_999);
    expect(transaction.state).toBe('trying');
    clock.advance(1);
    expect(flow.sent.map((send) => send.at)).toEqual([0]);
    expect(await transaction.outcome).toEqual({ kind: 'timed-out' });
  });

  it('keeps the schedule anchored to the first send when the event loop runs timers late', async () => {
    const clock = new FakeClock();
    const busyLoopLagMs = 300;
    // Every timer fires 300 ms after it was due, as on a saturated event loop.
    const lateClock = {
      now: () => clock.now(),
      setTimer: (delayMs: number, callback: () => void) => clock.setTimer(delayMs + busyLoopLagMs, callback),
      clearTimer: clock.clearTimer.bind(clock),
    };
    const flow = new RecordingFlow(clock, false);
    const transaction = new NonInviteClientTransaction<string>({
      key: 'z9hG4bK-late|INFO',
      flow,
      request: Buffer.from('INFO'),
      clock: lateClock,
      timers: resolveTransactionTimers({ t1Ms: 500 }),
    });
    transaction.start();
    clock.advance(40_000);
    // One lag each, not an accumulated one: all 11 sends of the schedule happen before Timer F.
    const onSchedule = [0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500];
    expect(flow.sent.map((send) => send.at)).toEqual(
      onSchedule.map((at) => (at === 0 ? 0 : at + busyLoopLagMs)),
    );
    expect(await transaction.outcome).toEqual({ kind: 'timed-out' });
  });

  it('honours a retry limit and custom timers', () => {
    const { clock, flow } = setup(false, { t1Ms: 100, t2Ms: 400, maxRetransmissions: 3 });
    clock.advance(10_000);
    expect(flow.sent.map((send) => send.at)).toEqual([0, 100, 300, 700]);
  });

  it('reports each Timer E retransmission (not the first send), none over TCP', () => {
    const udp = setup(false, { t1Ms: 100, t2Ms: 400, maxRetransmissions: 3 });
    udp.clock.advance(10_000);
    expect(udp.retransmitted).toEqual([100, 300, 700]);
    const tcp = setup(true);
    tcp.clock.advance(40_000);
    expect(tcp.retransmitted).toEqual([]);
  });

  it('moves to Proceeding on 1xx, then retransmits every T2', () => {
    const { clock, flow, transaction, provisional } = setup(false);
    clock.advance(600);
    transaction.receiveResponse(100, 'trying');
    expect(transaction.state).toBe('proceeding');
    expect(provisional).toEqual([100]);
    clock.advance(10_000);
    expect(flow.sent.map((send) => send.at)).toEqual([0, 500, 1500, 5500, 9500]);
  });

  it('completes on a final response, absorbs retransmissions and terminates after T4 (UDP)', async () => {
    const { clock, flow, transaction, provisional, terminated } = setup(false);
    clock.advance(700);
    transaction.receiveResponse(200, 'ok');
    expect(await transaction.outcome).toEqual({ kind: 'answered', statusCode: 200, response: 'ok' });
    expect(transaction.state).toBe('completed');
    transaction.receiveResponse(200, 'ok again');
    transaction.receiveResponse(180, 'late');
    expect(provisional).toEqual([]);
    clock.advance(4999);
    expect(transaction.state).toBe('completed');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(terminated).toHaveLength(1);
    expect(flow.sent).toHaveLength(2);
  });

  it('terminates at once after a final response over TCP (Timer K = 0)', () => {
    const { clock, transaction } = setup(true);
    transaction.receiveResponse(486, 'busy');
    clock.advance(0);
    expect(transaction.state).toBe('terminated');
  });

  it('reports a transport error', async () => {
    const clock = new FakeClock();
    const flow = new RecordingFlow(clock, true);
    flow.failSends = true;
    const transaction = new NonInviteClientTransaction<string>({
      key: 'k',
      flow,
      request: Buffer.from('INFO'),
      clock,
      timers: resolveTransactionTimers(),
    });
    transaction.start();
    expect(await transaction.outcome).toMatchObject({
      kind: 'transport-error',
      error: { code: 'flow-closed' },
    });
    expect(transaction.state).toBe('terminated');
    expect(clock.pendingTimers).toBe(0);
  });
});
