import { SqlRosterRepository, TypeOrmUnitOfWork } from '#herald/persistence';
import { insertDevice } from '../auth/auth-rows';
import { PresenceHarness } from './presence-harness';

/**
 * A watcher keeps, of a buddy's presence pushes, the one with the latest `at` (a redelivered push
 * can arrive late). Auth's events come on several topics, so presence may read an event after
 * another one decided later: the pushes must still be stamped in the order the changes were made.
 */
describe('presence push times (Nest module, real PostgreSQL, in-process bus)', () => {
  let h: PresenceHarness;

  beforeAll(async () => {
    h = await PresenceHarness.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  /** A device auth registered and logged in (its rows), whose session-started presence has not read. */
  const loggedInAtAuth = (aor: string, deviceId: string, status: 'online' | 'busy') =>
    insertDevice(h.dataSource, { aor, deviceId, edgeId: 'edge-0', session: { carrier: 'INFO', status } });

  const newestPresence = (deviceId: string, buddy: string) =>
    h
      .pushesTo(deviceId)
      .filter((body) => body['type'] === 'presence' && body['uri'] === buddy)
      .reduce<Record<string, unknown> | undefined>(
        (newest, body) =>
          newest === undefined || Date.parse(String(body['at'])) > Date.parse(String(newest['at']))
            ? body
            : newest,
        undefined,
      );

  it('stamps the login snapshot of a buddy who never counted before that buddy’s first change', async () => {
    const nina = await h.user('nina');
    const omar = await h.user('omar');
    await h.device(nina, 'nina-1', 'online');
    // omar's session row is written (auth committed his login) but presence reads his
    // session-started only later: he has no presence yet.
    await loggedInAtAuth(omar, 'omar-1', 'busy');
    await h.buddies(nina, 'nina-1', omar, 'omar-1');
    const decided = new Date();

    await h.device(nina, 'nina-2', 'online');
    await h.waitFor(() => newestPresence('nina-2', omar));
    await h.publishSessionStarted(omar, 'omar-1', 'busy', undefined, decided);
    await h.waitFor(() => h.statusChanges.find((e) => e.aor === omar));

    const seen = (await h.pushesUpToNow(nina, 'nina-2')).filter(
      (b) => b['type'] === 'presence' && b['uri'] === omar,
    );
    expect(seen.map((b) => b['status'])).toEqual(['offline', 'busy']);
    expect(newestPresence('nina-2', omar)).toMatchObject({ status: 'busy' });
  });

  it('gives a login the status of a buddy’s change in flight, which that change’s fan-out did not send it', async () => {
    const pat = await h.user('pat');
    const quinn = await h.user('quinn');
    await h.device(pat, 'pat-1', 'online');
    await h.device(quinn, 'quinn-1', 'online');
    await h.buddies(pat, 'pat-1', quinn, 'quinn-1');

    await whileChangeInFlight(quinn, 'busy', async () => {
      await loggedInAtAuth(pat, 'pat-2', 'online');
      await h.publishSessionStarted(pat, 'pat-2', 'online');
      return () => h.pushesTo('pat-2').length > 0;
    });

    await h.waitFor(() => newestPresence('pat-2', quinn));
    expect(newestPresence('pat-2', quinn)).toMatchObject({ status: 'busy' });
  });

  it('gives both new buddies each other’s status of a change in flight, which its fan-out did not send', async () => {
    const rosa = await h.user('rosa');
    const sven = await h.user('sven');
    await h.device(rosa, 'rosa-1', 'online');
    await h.device(sven, 'sven-1', 'online');
    expect(await h.commandResult(rosa, 'rosa-1', { type: 'roster.add', uri: sven })).toMatchObject({
      ok: true,
    });

    await whileChangeInFlight(sven, 'away', async () => {
      await h.command(sven, 'sven-1', { type: 'buddy.answer', from: rosa, accept: true });
      return () => h.pushesTo('rosa-1').some((body) => body['type'] === 'presence' && body['uri'] === sven);
    });

    await h.waitFor(() => newestPresence('rosa-1', sven));
    expect(newestPresence('rosa-1', sven)).toMatchObject({ status: 'away' });
  });

  it('gives a login the status of a buddy’s first change ever in flight, which that change’s fan-out did not send it', async () => {
    const tess = await h.user('tess');
    const uma = await h.user('uma');
    await h.device(tess, 'tess-1', 'online');
    // uma is logged in (auth's rows) but presence has not read her session-started: no presence.
    await loggedInAtAuth(uma, 'uma-1', 'busy');
    // Buddies with no aggregate for uma, as a request accepted before this release left them (an
    // accepted request now creates both aggregates): rows only.
    await new TypeOrmUnitOfWork(h.dataSource).run((tx) =>
      new SqlRosterRepository().save(tx, [
        { ownerAor: tess, buddyAor: uma, state: 'both' },
        { ownerAor: uma, buddyAor: tess, state: 'both' },
      ]),
    );

    await whileChangeInFlight(
      uma,
      'busy',
      async () => {
        await loggedInAtAuth(tess, 'tess-2', 'online');
        await h.publishSessionStarted(tess, 'tess-2', 'online');
        return () => h.pushesTo('tess-2').length > 0;
      },
      'first',
    );

    await h.waitFor(() => newestPresence('tess-2', uma));
    expect(newestPresence('tess-2', uma)).toMatchObject({ status: 'busy' });
  });

  /**
   * Runs `act` while a change of `aor`'s aggregate to `status` is not committed yet, its watchers'
   * devices already looked up: what another replica holds while it publishes that fan-out (the
   * `first` change ever of `aor` creates its aggregate row). The change commits once `act`'s
   * effect went out (`sent`: it read past the change) or presence waits for the change's lock.
   */
  async function whileChangeInFlight(
    aor: string,
    status: string,
    act: () => Promise<() => boolean>,
    change: 'first' | 'later' = 'later',
  ): Promise<void> {
    const runner = h.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      if (change === 'first') {
        // As lockAggregate creates the row of a user's first event.
        await runner.query(
          `INSERT INTO presence_aggregates (aor, status, changed_at) VALUES ($1, 'offline', 'epoch')
           ON CONFLICT (aor) DO UPDATE SET aor = EXCLUDED.aor`,
          [aor],
        );
      } else {
        await runner.query(`SELECT 1 FROM presence_aggregates WHERE aor = $1 FOR UPDATE`, [aor]);
      }
      await runner.query(`UPDATE presence_aggregates SET status = $2, changed_at = now() WHERE aor = $1`, [
        aor,
        status,
      ]);
      const sent = await act();
      await pollUntil(async () => sent() || (await presenceWaitsForLock()));
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  async function presenceWaitsForLock(): Promise<boolean> {
    const rows: unknown[] = await h.dataSource.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return rows.length > 0;
  }

  async function pollUntil(condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('neither sent nor waiting for a lock within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});
