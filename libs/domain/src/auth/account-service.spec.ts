import { ha1, verifyDigestResponse } from '#herald/sip';
import { AccountService } from './account-service';
import { InMemoryAccounts, InMemoryUnitOfWork } from './auth-test-support';

function setUp() {
  const accounts = new InMemoryAccounts();
  const service = new AccountService({
    unitOfWork: new InMemoryUnitOfWork(),
    accounts,
    digest: { ha1, verifyResponse: verifyDigestResponse },
    sipDomain: 'Herald.Example',
  });
  return { accounts, service };
}

describe('AccountService', () => {
  it('keeps HA1 per algorithm for the realm, never the password', async () => {
    const { accounts, service } = setUp();
    const view = await service.create({ username: 'alice', password: 'wonderland', displayName: 'Alice' });
    expect(view).toMatchObject({
      username: 'alice',
      aor: 'sip:alice@herald.example',
      disabled: false,
      displayName: 'Alice',
    });
    const stored = accounts.rows.get('alice');
    expect(stored?.ha1).toEqual({
      MD5: ha1('MD5', 'alice', 'herald.example', 'wonderland'),
      'SHA-256': ha1('SHA-256', 'alice', 'herald.example', 'wonderland'),
    });
    expect(JSON.stringify(stored)).not.toContain('wonderland');
  });

  it.each([
    ['a duplicate username', { username: 'alice', password: 'another1' }, 'AUTH_ACCOUNT_EXISTS'],
    ['an upper-case username', { username: 'Bob', password: 'secret1' }, 'AUTH_INVALID_USERNAME'],
    ['a short password', { username: 'bob', password: '123' }, 'AUTH_INVALID_PASSWORD'],
    [
      'settings over 4 KiB',
      { username: 'bob', password: 'secret1', settings: { blob: 'x'.repeat(4096) } },
      'AUTH_INVALID_PROFILE',
    ],
  ])('refuses %s', async (_case, request, code) => {
    const { service } = setUp();
    await service.create({ username: 'alice', password: 'wonderland' });
    await expect(service.create(request)).rejects.toMatchObject({ code });
  });

  it('resets the password, disables, updates the profile, lists and deletes', async () => {
    const { accounts, service } = setUp();
    await service.create({ username: 'bob', password: 'builder1' });
    await service.create({ username: 'alice', password: 'wonderland' });
    await service.resetPassword('bob', 'builder2');
    expect(accounts.rows.get('bob')?.ha1.MD5).toBe(ha1('MD5', 'bob', 'herald.example', 'builder2'));
    expect(await service.setDisabled('bob', true)).toMatchObject({ disabled: true });
    expect(await service.update('bob', { displayName: 'Bob', settings: { lang: 'en' } })).toMatchObject({
      displayName: 'Bob',
      settings: { lang: 'en' },
      disabled: true,
    });
    expect(await service.update('bob', { displayName: null })).not.toHaveProperty('displayName');
    expect((await service.list()).map((a) => a.username)).toEqual(['alice', 'bob']);
    expect((await service.list({ after: 'alice' })).map((a) => a.username)).toEqual(['bob']);
    await service.delete('bob');
    await expect(service.get('bob')).rejects.toMatchObject({ code: 'AUTH_ACCOUNT_NOT_FOUND' });
    await expect(service.delete('bob')).rejects.toMatchObject({ code: 'AUTH_ACCOUNT_NOT_FOUND' });
  });
});
