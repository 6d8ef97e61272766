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
    await insertDevice(h.dataSource, {
      aor: omar,
      deviceId: 'omar-1',
      edgeId: 'edge-0',
      session: { carrier: 'INFO', status: 'busy' },
    });
    expect(await h.commandResult(nina, 'nina-1', { type: 'roster.add', uri: omar })).toMatchObject({
      ok: true,
    });
    expect(
      await h.commandResult(omar, 'omar-1', { type: 'buddy.answer', from: nina, accept: true }),
    ).toMatchObject({
      ok: true,
    });
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
    expect(await h.commandResult(pat, 'pat-1', { type: 'roster.add', uri: quinn })).toMatchObject({
      ok: true,
    });
    expect(
      await h.commandResult(quinn, 'quinn-1', { type: 'buddy.answer', from: pat, accept: true }),
    ).toMatchObject({
      ok: true,
    });
    // quinn's change to busy, its watchers' devices already looked up (pat-2 not logged in then),
    // not yet committed: what another replica holds while it publishes that fan-out.
    const change = h.dataSource.createQueryRunner();
    await change.connect();
    await change.startTransaction();
    try {
      await change.query(`SELECT 1 FROM presence_aggregates WHERE aor = $1 FOR UPDATE`, [quinn]);
      await change.query(
        `UPDATE presence_aggregates SET status = 'busy', changed_at = now() WHERE aor = $1`,
        [quinn],
      );

      await insertDevice(h.dataSource, {
        aor: pat,
        deviceId: 'pat-2',
        edgeId: 'edge-0',
        session: { carrier: 'INFO', status: 'online' },
      });
      await h.publishSessionStarted(pat, 'pat-2', 'online');
      // Either the snapshot went out already (it read past the change) or the login waits for it.
      await pollUntil(async () => h.pushesTo('pat-2').length > 0 || (await loginWaitsForLock()));
      await change.commitTransaction();
    } finally {
      if (change.isTransactionActive) await change.rollbackTransaction();
      await change.release();
    }

    await h.waitFor(() => newestPresence('pat-2', quinn));
    expect(newestPresence('pat-2', quinn)).toMatchObject({ status: 'busy' });
  });

  async function loginWaitsForLock(): Promise<boolean> {
    const rows: unknown[] = await h.dataSource.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return rows.length > 0;
  }

  async function pollUntil(condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('neither a snapshot nor a lock wait within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});
