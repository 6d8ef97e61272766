import { errorResult, okResult, type ResultPush } from '#herald/contracts';
import { InMemoryIdempotencyStore, InMemoryUnitOfWork } from '../../testing/in-memory-auth';
import { parseOwnedCommand, runCommandOnce, StoredResultError, storedResultPush } from './command-once';
import type { Transaction } from './unit-of-work';

const KEY = { service: 'presence', aor: 'sip:alice@herald.example', commandId: 'c-1' };

/** Records when each transaction committed, to see what happened after it. */
class LoggingUnitOfWork extends InMemoryUnitOfWork {
  constructor(private readonly log: string[]) {
    super();
  }
  override async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const result = await super.run(work);
    this.log.push('commit');
    return result;
  }
}

function setUp() {
  const log: string[] = [];
  const deps = { unitOfWork: new LoggingUnitOfWork(log), idempotency: new InMemoryIdempotencyStore() };
  const run = (result: ResultPush) =>
    runCommandOnce(deps, {
      key: KEY,
      effect: async () => {
        log.push('effect');
        return result;
      },
      expectedResult: okResult('presence.set', 'c-1'),
      parseStored: (stored) => storedResultPush(KEY, stored),
      reply: async (sent) => {
        log.push(`reply ${sent.ok}`);
      },
    });
  return { log, deps, run };
}

describe('parseOwnedCommand', () => {
  const parse = (envelope: Record<string, unknown>, owner: 'auth' | 'presence') =>
    parseOwnedCommand(owner, { v: 1, id: 'c-1', ...envelope } as never);

  it('gives the command its owner receives', () => {
    expect(parse({ type: 'presence.set', status: 'away' }, 'presence')).toEqual({
      kind: 'command',
      command: { v: 1, id: 'c-1', type: 'presence.set', status: 'away' },
    });
  });

  it.each([
    [
      { type: 'presence.set', status: 'away' },
      'auth',
      'bad-request',
      'presence.set is a command of presence, not of auth',
    ],
    [{ type: 'teleport' }, 'auth', 'unknown-type', 'unknown type "teleport"'],
    [{ type: 'teleport' }, 'presence', 'bad-request', 'teleport is a command of auth, not of presence'],
    [
      { type: 'presence.set', status: 'asleep' },
      'presence',
      'bad-request',
      expect.stringContaining('status'),
    ],
    [{ type: 'presence.set', v: 2 }, 'presence', 'bad-request', expect.stringContaining('bad envelope')],
  ] as const)('refuses %j at %s with %s', (envelope, owner, code, message) => {
    expect(parse(envelope, owner)).toEqual({
      kind: 'refused',
      result: expect.objectContaining({
        type: `${envelope.type}.result`,
        re: 'c-1',
        ok: false,
        error: { code, message },
      }),
    });
  });
});

describe('runCommandOnce', () => {
  it('replies with the result after the transaction of claim and effect committed', async () => {
    const { log, run } = setUp();
    await run(okResult('presence.set', 'c-1'));
    expect(log).toEqual(['effect', 'commit', 'reply true']);
  });

  it('re-sends a duplicate the stored result without running the effect again', async () => {
    const { log, run } = setUp();
    await run(errorResult('presence.set', 'c-1', 'not-allowed', 'no'));
    await run(okResult('presence.set', 'c-1'));
    expect(log).toEqual(['effect', 'commit', 'reply false', 'commit', 'reply false']);
  });

  it('refuses to re-send a stored result that is not a result push', async () => {
    const { deps, run } = setUp();
    await deps.idempotency.storeResult({} as Transaction, KEY, { re: 'c-1' });
    await expect(run(okResult('presence.set', 'c-1'))).rejects.toThrow(StoredResultError);
  });
});
