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
});
