import { PresenceHarness } from './presence-harness';
const types = (bodies: Array<Record<string, unknown>>) => bodies.map((b) => b['type']);

describe('presence service (Nest module, real PostgreSQL, in-process bus)', () => {
  let h: PresenceHarness;

  beforeAll(async () => {
    h = await PresenceHarness.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('adds, requests and accepts: both entries both, rosters and presence pushed both ways', async () => {
    const alice = await h.user('alice');
    const bob = await h.user('bob');
    await h.device(alice, 'alice-desk', 'busy', 'in a call');
    await h.device(bob, 'bob-desk', 'online');
    await h.device(bob, 'bob-phone', 'online');

    const added = await h.commandResult(alice, 'alice-desk', { type: 'roster.add', uri: bob, name: 'Bob' });
    expect(added).toMatchObject({ type: 'roster.add.result', ok: true });
    for (const device of ['bob-desk', 'bob-phone']) {
      await h.waitFor(() =>
        h.pushesTo(device).find((b) => b['type'] === 'buddy.request' && b['from'] === alice),
      );
    }
    expect(await h.rosterRows(alice)).toEqual([{ buddy_aor: bob, state: 'pending-out' }]);
    expect(await h.rosterRows(bob)).toEqual([{ buddy_aor: alice, state: 'pending-in' }]);

    const answered = await h.commandResult(bob, 'bob-phone', {
      type: 'buddy.answer',
      from: alice,
      accept: true,
    });
    expect(answered).toMatchObject({ type: 'buddy.answer.result', ok: true });
    const aliceSeesBob = await h.waitFor(() =>
      h.pushesTo('alice-desk').find((b) => b['type'] === 'presence' && b['uri'] === bob),
    );
    expect(aliceSeesBob).toMatchObject({ status: 'online' });
    const bobSeesAlice = await h.waitFor(() =>
      h.pushesTo('bob-desk').find((b) => b['type'] === 'presence' && b['uri'] === alice),
    );
    expect(bobSeesAlice).toMatchObject({ status: 'busy', note: 'in a call' });
    const rosters = (device: string) => h.pushesTo(device).filter((b) => b['type'] === 'roster');
    expect(rosters('alice-desk').at(-1)).toEqual({
      v: 1,
      id: expect.any(String),
      type: 'roster',
      buddies: [{ uri: bob, name: 'Bob', state: 'both', status: 'online' }],
    });
    expect(rosters('bob-phone').at(-1)).toMatchObject({
      buddies: [{ uri: alice, state: 'both', status: 'busy', note: 'in a call' }],
    });
    expect(await h.rosterRows(alice)).toEqual([{ buddy_aor: bob, state: 'both' }]);
    expect(await h.rosterRows(bob)).toEqual([{ buddy_aor: alice, state: 'both' }]);
  });

  it('refuses a request: both entries are removed', async () => {
    const carol = await h.user('carol');
    const dave = await h.user('dave');
    await h.device(carol, 'carol-1', 'online');
    await h.device(dave, 'dave-1', 'online');
    await h.commandResult(carol, 'carol-1', { type: 'roster.add', uri: dave });

    expect(
      await h.commandResult(dave, 'dave-1', { type: 'buddy.answer', from: carol, accept: false }),
    ).toMatchObject({
      ok: true,
    });
    expect(await h.rosterRows(carol)).toEqual([]);
    expect(await h.rosterRows(dave)).toEqual([]);
  });

  it('answers not-found, not-allowed and conflict', async () => {
    const erin = await h.user('erin');
    const frank = await h.user('frank');
    await h.device(erin, 'erin-1', 'online');
    const error = (code: string) => ({ ok: false, error: expect.objectContaining({ code }) });

    expect(
      await h.commandResult(erin, 'erin-1', { type: 'roster.add', uri: `sip:nobody@herald.example` }),
    ).toMatchObject(error('not-found'));
    expect(await h.commandResult(erin, 'erin-1', { type: 'roster.add', uri: erin })).toMatchObject(
      error('not-allowed'),
    );
    await h.commandResult(erin, 'erin-1', { type: 'roster.add', uri: frank });
    expect(await h.commandResult(erin, 'erin-1', { type: 'roster.add', uri: frank })).toMatchObject(
      error('conflict'),
    );
    expect(
      await h.commandResult(erin, 'erin-1', { type: 'roster.remove', uri: `sip:nobody@herald.example` }),
    ).toMatchObject(error('not-found'));
  });

  it('removes both ways: neither sees the other any more', async () => {
    const gina = await h.user('gina');
    const hank = await h.user('hank');
    await h.device(gina, 'gina-1', 'online');
    await h.device(hank, 'hank-1', 'online');
    await h.buddies(gina, 'gina-1', hank, 'hank-1');

    expect(await h.commandResult(hank, 'hank-1', { type: 'roster.remove', uri: gina })).toMatchObject({
      ok: true,
    });
    expect(await h.rosterRows(gina)).toEqual([]);
    expect(await h.rosterRows(hank)).toEqual([]);
    await h.waitFor(() =>
      h.pushesTo('gina-1').find((b) => b['type'] === 'roster' && (b['buddies'] as []).length === 0),
    );

    const before = h.pushesTo('hank-1').length;
    await h.commandResult(gina, 'gina-1', { type: 'presence.set', status: 'away' });
    // Her change pushed its fan-out before her result: hank's marker now comes after any of it.
    expect((await h.pushesUpToNow(hank, 'hank-1')).slice(before)).toEqual([]);
  });

  it('fans a change out to every logged-in device of every watcher, and shows invisible as offline', async () => {
    const star = await h.user('star');
    await h.device(star, 'star-1', 'online');
    const watchers = await Promise.all(['w', 'w', 'w'].map((n) => h.user(n)));
    const watcherDevices: string[] = [];
    for (const [i, watcher] of watchers.entries()) {
      for (const n of [1, 2]) {
        await h.device(watcher, `w${i}-${n}`, 'online');
        watcherDevices.push(`w${i}-${n}`);
      }
      await h.buddies(watcher, `w${i}-1`, star, 'star-1');
    }
    const stranger = await h.user('stranger');
    await h.device(stranger, 'stranger-1', 'online');
    await h.commandResult(stranger, 'stranger-1', { type: 'roster.add', uri: star });

    await h.commandResult(star, 'star-1', { type: 'presence.set', status: 'away', note: 'lunch' });
    for (const device of watcherDevices) {
      await h.waitFor(() =>
        h.pushesTo(device).find((b) => b['type'] === 'presence' && b['status'] === 'away'),
      );
    }
    await h.waitFor(() =>
      h.statusChanges.find((e) => e.aor === star && e.status === 'away' && e.note === 'lunch'),
    );

    await h.commandResult(star, 'star-1', { type: 'presence.set', status: 'invisible' });
    for (const device of watcherDevices) {
      await h.waitFor(() => h.pushesTo(device).find((b) => b['uri'] === star && b['status'] === 'offline'));
    }
    expect(h.pushesTo('stranger-1').filter((b) => b['type'] === 'presence')).toEqual([]);
  });

  it('follows devices: plain SIP registration counts online, logout and unregister take them away', async () => {
    const olga = await h.user('olga');
    const pete = await h.user('pete');
    await h.device(olga, 'olga-1', 'online');
    await h.device(pete, 'pete-desk', 'busy');
    await h.buddies(olga, 'olga-1', pete, 'pete-desk');
    const seen = (status: string) =>
      h.waitFor(() => h.pushesTo('olga-1').find((b) => b['uri'] === pete && b['status'] === status));

    await h.device(pete, 'pete-softphone');
    await h.publishDeviceRegistered(pete, 'pete-softphone');
    await seen('online');
    await h.publishSessionEnded(pete, 'pete-desk');
    // The two events travel on different topics, consumed concurrently: keep them in this order.
    await h.waitForDeviceMode(pete, 'pete-desk', 'ended');
    await h.publishDeviceUnregistered(pete, 'pete-softphone');
    await seen('offline');
    await h.waitFor(() => h.statusChanges.find((e) => e.aor === pete && e.status === 'offline'));
    expect(h.statusChanges.filter((e) => e.aor === pete).map((e) => e.status)).toEqual([
      'busy',
      'online',
      'offline',
    ]);
  });

  it('gives a device at login its roster, then buddies\u2019 presence, then pending requests', async () => {
    const ivan = await h.user('ivan');
    const judy = await h.user('judy');
    const kim = await h.user('kim');
    await h.device(ivan, 'ivan-1', 'online');
    await h.device(judy, 'judy-1', 'busy', 'deadline');
    await h.device(kim, 'kim-1', 'online');
    await h.buddies(judy, 'judy-1', ivan, 'ivan-1');
    await h.commandResult(kim, 'kim-1', { type: 'roster.add', uri: ivan });

    await h.device(ivan, 'ivan-laptop', 'away');
    await h.waitFor(() => (h.pushesTo('ivan-laptop').length >= 3 ? true : undefined));
    const snapshot = await h.pushesUpToNow(ivan, 'ivan-laptop');
    expect(types(snapshot)).toEqual(['roster', 'presence', 'buddy.request']);
    expect(snapshot[0]).toMatchObject({
      buddies: expect.arrayContaining([
        { uri: judy, state: 'both', status: 'busy', note: 'deadline' },
        { uri: kim, state: 'pending-in', status: 'offline' },
      ]),
    });
    expect(snapshot[1]).toMatchObject({ uri: judy, status: 'busy', note: 'deadline' });
    expect(snapshot[2]).toMatchObject({ from: kim });
  });

  it('processes a command id once: a re-sent roster.add gets the stored result and sends nothing else', async () => {
    const leo = await h.user('leo');
    const mia = await h.user('mia');
    await h.device(leo, 'leo-1', 'online');
    await h.device(mia, 'mia-1', 'online');

    const first = await h.commandResult(leo, 'leo-1', { type: 'roster.add', uri: mia }, 'same-id');
    await h.waitFor(() => h.pushesTo('mia-1').find((b) => b['type'] === 'buddy.request'));
    const again = await h.commandResult(leo, 'leo-1', { type: 'roster.add', uri: mia }, 'same-id');

    expect(again).toMatchObject({ type: 'roster.add.result', re: 'same-id', ok: true });
    expect({ ...again, id: undefined }).toEqual({ ...first, id: undefined });
    const toLeo = await h.pushesUpToNow(leo, 'leo-1');
    expect(toLeo.filter((b) => b['re'] === 'same-id')).toHaveLength(2);
    const toMia = await h.pushesUpToNow(mia, 'mia-1');
    expect(toMia.filter((b) => b['type'] === 'buddy.request')).toHaveLength(1);
    expect(await h.rosterRows(leo)).toEqual([{ buddy_aor: mia, state: 'pending-out' }]);
  });

  it('answers not-logged-in to a registered device without a session, as the command’s one result', async () => {
    const ned = await h.user('ned');
    await h.device(ned, 'ned-softphone');
    const refusal = await h.commandResult(ned, 'ned-softphone', { type: 'roster.get' }, 'ned-get-1');
    expect(refusal).toMatchObject({ ok: false, error: expect.objectContaining({ code: 'not-logged-in' }) });

    // Processed once per AOR and id (protocol.md §3): the same id from a logged-in device gets
    // the same refusal; a new id is run.
    await h.device(ned, 'ned-desk', 'online');
    // (Its push id names the device it goes to.)
    expect(await h.commandResult(ned, 'ned-desk', { type: 'roster.get' }, 'ned-get-1')).toEqual({
      ...refusal,
      id: expect.any(String),
    });
    expect(await h.commandResult(ned, 'ned-desk', { type: 'roster.get' }, 'ned-get-2')).toMatchObject({
      ok: true,
    });
  });
});
