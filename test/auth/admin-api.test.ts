import { AuthHarness } from './auth-harness';
import { AUTH_TEST_TIMEOUT_MS } from './timeouts';

jest.setTimeout(AUTH_TEST_TIMEOUT_MS);

describe('auth admin HTTP API (real PostgreSQL)', () => {
  let harness: AuthHarness;

  beforeAll(async () => {
    harness = await AuthHarness.start();
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('refuses a missing or wrong bearer token with 401', async () => {
    const wrong = await harness.admin('GET', '/admin/accounts', undefined, 'not-the-token');
    expect(wrong).toEqual({ status: 401, body: expect.objectContaining({ code: 'ADMIN_UNAUTHORIZED' }) });
    const missing = await fetch(`${harness.baseUrl}/admin/accounts`);
    expect(missing.status).toBe(401);
  });

  it('creates, reads, lists, updates, disables, re-enables, resets and deletes accounts', async () => {
    const created = await harness.admin('POST', '/admin/accounts', {
      username: 'bob',
      password: 'builder1',
      displayName: 'Bob',
    });
    expect(created).toEqual({
      status: 201,
      body: {
        username: 'bob',
        aor: 'sip:bob@herald.example',
        disabled: false,
        displayName: 'Bob',
        settings: {},
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    });
    expect(created.body).not.toHaveProperty('password');
    expect(
      (await harness.admin('POST', '/admin/accounts', { username: 'bob', password: 'builder2' })).status,
    ).toBe(409);
    expect(
      (await harness.admin('POST', '/admin/accounts', { username: 'Bad Name', password: 'builder2' })).body,
    ).toMatchObject({
      code: 'AUTH_INVALID_USERNAME',
    });
    expect((await harness.admin('POST', '/admin/accounts', { username: 'carol' })).status).toBe(400);
    await harness.admin('POST', '/admin/accounts', { username: 'carol', password: 'carol-pw' });

    expect((await harness.admin('GET', '/admin/accounts/bob')).body).toMatchObject({ username: 'bob' });
    expect(
      (await harness.admin('GET', '/admin/accounts')).body.accounts.map(
        (a: { username: string }) => a.username,
      ),
    ).toEqual(['bob', 'carol']);
    expect((await harness.admin('GET', '/admin/accounts?after=bob&limit=5')).body.accounts).toHaveLength(1);

    const patched = await harness.admin('PATCH', '/admin/accounts/bob', {
      displayName: 'Robert',
      settings: { lang: 'fr' },
    });
    expect(patched).toMatchObject({ status: 200, body: { displayName: 'Robert', settings: { lang: 'fr' } } });
    const tooLarge = await harness.admin('PATCH', '/admin/accounts/bob', {
      settings: { blob: 'x'.repeat(5000) },
    });
    expect(tooLarge).toMatchObject({ status: 400, body: { code: 'AUTH_INVALID_PROFILE' } });

    expect((await harness.admin('POST', '/admin/accounts/bob/disable')).body).toMatchObject({
      disabled: true,
    });
    expect((await harness.admin('POST', '/admin/accounts/bob/enable')).body).toMatchObject({
      disabled: false,
    });

    const [before] = await harness.dataSource.query(`SELECT ha1_md5 FROM accounts WHERE username = 'bob'`);
    expect(
      (await harness.admin('POST', '/admin/accounts/bob/password', { password: 'builder9' })).status,
    ).toBe(200);
    const [after] = await harness.dataSource.query(`SELECT ha1_md5 FROM accounts WHERE username = 'bob'`);
    expect(after.ha1_md5).not.toBe(before.ha1_md5);
    expect((await harness.admin('POST', '/admin/accounts/bob/password', { password: 'x' })).status).toBe(400);

    expect((await harness.admin('DELETE', '/admin/accounts/bob')).status).toBe(204);
    expect((await harness.admin('GET', '/admin/accounts/bob')).status).toBe(404);
    expect((await harness.admin('DELETE', '/admin/accounts/bob')).status).toBe(404);
  });

  it('stores no password, only HA1 values', async () => {
    await harness.admin('POST', '/admin/accounts', { username: 'erin', password: 'erins-secret' });
    const rows = await harness.dataSource.query(`SELECT * FROM accounts WHERE username = 'erin'`);
    expect(JSON.stringify(rows)).not.toContain('erins-secret');
    expect(rows[0].ha1_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].ha1_md5).toMatch(/^[0-9a-f]{32}$/);
  });
});
