import { createSocket } from 'node:dgram';
import { TurnPacer } from './turn-pacer';

/** Resolves once `done` holds, checking after each loop turn. */
async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

describe('TurnPacer', () => {
  it('admits at most perTurn sends per event loop turn, in call order', async () => {
    const pacer = new TurnPacer(3);
    const turns: number[] = [];
    let turn = 0;
    // A check-phase callback per loop turn, queued ahead of the pacer's: it numbers the turns.
    const tick = (): void => {
      turn += 1;
      if (turns.length < 10) setImmediate(tick);
    };
    setImmediate(tick);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        await pacer.admit();
        turns.push(turn);
      }),
    );
    const perTurn = new Map<number, number>();
    for (const at of turns) perTurn.set(at, (perTurn.get(at) ?? 0) + 1);
    expect([...perTurn.values()]).toEqual([3, 3, 3, 1]);
    // Admitted in call order, each group in a later turn than the one before.
    expect([...perTurn.keys()]).toEqual([...perTurn.keys()].sort((a, b) => a - b));
  });

  it('lets a datagram that arrived meanwhile be read before the remaining sends', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    try {
      const pacer = new TurnPacer(5);
      const order: string[] = [];
      socket.on('message', () => order.push('datagram'));
      socket.send('inbound', socket.address().port, '127.0.0.1');
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          await pacer.admit();
          order.push(`send ${i}`);
        }),
      );
      await waitUntil(() => order.includes('datagram'));
      // Unpaced, all 50 sends would run in this turn's microtasks, before the socket is read.
      expect(order.indexOf('datagram')).toBeLessThan(order.indexOf('send 49'));
      expect(order.filter((entry) => entry.startsWith('send'))).toHaveLength(50);
    } finally {
      socket.close();
    }
  });

  it('rejects a budget below one send per turn', () => {
    expect(() => new TurnPacer(0)).toThrow(RangeError);
  });
});
