import {
  ACCOUNT_BACKOFF_BASE_MS,
  SourceGuard,
  type ThrottleLimits,
  type ThrottleTable,
} from './source-guard';

const LIMITS: ThrottleLimits = {
  windowMs: 60_000,
  sourceMaxRequests: 5,
  sourceMaxAuthFailures: 6,
  banMs: 600_000,
  accountFreeFailures: 2,
  accountBackoffMaxMs: 8_000,
  maxEntries: 1_000,
};

const ALICE = 'sip:alice@herald.local';
const BOB = 'sip:bob@herald.local';

function guardAt(limits: Partial<ThrottleLimits> = {}) {
  const clock = { now: 1_000_000 };
  const full: { table: ThrottleTable; evicted: number }[] = [];
  const guard = new SourceGuard(
    { ...LIMITS, ...limits },
    () => clock.now,
    (table, evicted) => full.push({ table, evicted }),
  );
  return { guard, clock, full };
}

describe('SourceGuard: requests per source', () => {
  it('refuses a source past its requests in the window with the rest of the window as Retry-After', () => {
    const { guard, clock } = guardAt();
    for (let i = 0; i < 5; i++) expect(guard.takeRequest('127.0.0.2')).toBeUndefined();
    clock.now += 20_000;
    expect(guard.takeRequest('127.0.0.2')).toEqual({ retryAfterSeconds: 40, first: true });
    expect(guard.takeRequest('127.0.0.2')).toEqual({ retryAfterSeconds: 40, first: false });
    // Another address is counted apart.
    expect(guard.takeRequest('127.0.0.3')).toBeUndefined();
    clock.now += 40_000;
    expect(guard.takeRequest('127.0.0.2')).toBeUndefined();
  });

  it('counts every address of an IPv6 /64 as one source', () => {
    const { guard } = guardAt();
    for (let i = 0; i < 5; i++) expect(guard.takeRequest(`2001:db8:1:2::${i + 1}`)).toBeUndefined();
    expect(guard.takeRequest('2001:db8:1:2:ffff::9')).toBeDefined();
    expect(guard.takeRequest('2001:db8:1:3::1')).toBeUndefined();
  });
});

describe('SourceGuard: failed authentications', () => {
  it('backs an (account, source) off exponentially after the free failures, up to the maximum', () => {
    const { guard, clock } = guardAt({ sourceMaxAuthFailures: 100 });
    expect(guard.authFailed(ALICE, '127.0.0.2')).toEqual({ accountFailures: 1 });
    expect(guard.accountRetryAfter(ALICE, '127.0.0.2')).toBeUndefined();
    expect(guard.authFailed(ALICE, '127.0.0.2')).toEqual({ accountFailures: 2 });
    const backoffs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const outcome = guard.authFailed(ALICE, '127.0.0.2');
      backoffs.push(outcome.backoffMs ?? 0);
      expect(guard.accountRetryAfter(ALICE, '127.0.0.2')).toBe((outcome.backoffMs ?? 0) / 1000);
      clock.now += outcome.backoffMs ?? 0;
      expect(guard.accountRetryAfter(ALICE, '127.0.0.2')).toBeUndefined();
    }
    expect(backoffs).toEqual([
      ACCOUNT_BACKOFF_BASE_MS,
      2 * ACCOUNT_BACKOFF_BASE_MS,
      4 * ACCOUNT_BACKOFF_BASE_MS,
      8_000,
      8_000,
    ]);
  });

  it('does not lock the account out from another source or another account from this one', () => {
    const { guard } = guardAt({ sourceMaxAuthFailures: 100 });
    for (let i = 0; i < 4; i++) guard.authFailed(ALICE, '127.0.0.2');
    expect(guard.accountRetryAfter(ALICE, '127.0.0.2')).toBeGreaterThan(0);
    expect(guard.accountRetryAfter(ALICE, '127.0.0.3')).toBeUndefined();
    expect(guard.accountRetryAfter(BOB, '127.0.0.2')).toBeUndefined();
  });

  it('forgets the failures of an (account, source) on success, and a window after the last back-off', () => {
    const { guard, clock } = guardAt({ sourceMaxAuthFailures: 100 });
    for (let i = 0; i < 3; i++) guard.authFailed(ALICE, '127.0.0.2');
    guard.authSucceeded(ALICE, '127.0.0.2');
    expect(guard.accountRetryAfter(ALICE, '127.0.0.2')).toBeUndefined();
    expect(guard.authFailed(ALICE, '127.0.0.2').accountFailures).toBe(1);

    for (let i = 0; i < 2; i++) guard.authFailed(BOB, '127.0.0.2');
    const last = guard.authFailed(BOB, '127.0.0.2');
    clock.now += (last.backoffMs ?? 0) + LIMITS.windowMs - 1;
    expect(guard.authFailed(BOB, '127.0.0.2').accountFailures).toBe(4);
    clock.now += 8_000 + LIMITS.windowMs;
    expect(guard.authFailed(BOB, '127.0.0.2').accountFailures).toBe(1);
  });

  it('bans a source at its failures in the window, across accounts, until the ban period ends', () => {
    const { guard, clock } = guardAt();
    const users = ['a', 'b', 'c', 'd', 'e'].map((u) => `sip:${u}@herald.local`);
    for (const user of users) expect(guard.authFailed(user, '127.0.0.2').banned).toBeUndefined();
    expect(guard.isBanned('127.0.0.2')).toBe(false);
    const sixth = guard.authFailed('sip:f@herald.local', '127.0.0.2');
    expect(sixth.banned).toEqual({
      source: '127.0.0.2',
      since: clock.now,
      expiresAt: clock.now + LIMITS.banMs,
      failures: 6,
    });
    expect(guard.isBanned('127.0.0.2')).toBe(true);
    expect(guard.isBanned('127.0.0.3')).toBe(false);
    expect(guard.bansActive).toBe(1);
    clock.now += LIMITS.banMs - 1;
    expect(guard.isBanned('127.0.0.2')).toBe(true);
    clock.now += 1;
    expect(guard.isBanned('127.0.0.2')).toBe(false);
    expect(guard.activeBans()).toEqual([]);
  });

  it('does not ban for failures spread over windows', () => {
    const { guard, clock } = guardAt();
    for (let i = 0; i < 10; i++) {
      guard.authFailed(`sip:u${i}@herald.local`, '127.0.0.2');
      clock.now += LIMITS.windowMs / 4;
    }
    expect(guard.isBanned('127.0.0.2')).toBe(false);
  });
});

describe('SourceGuard: bans for the admin', () => {
  it('lists bans and lifts one by address or by its listed /64, starting its counts over', () => {
    const { guard } = guardAt({ sourceMaxAuthFailures: 3 });
    for (let i = 0; i < 3; i++) guard.authFailed(`sip:u${i}@herald.local`, '2001:db8::7');
    for (let i = 0; i < 3; i++) guard.authFailed(`sip:u${i}@herald.local`, '127.0.0.2');
    expect(guard.activeBans().map((ban) => ban.source)).toEqual(['2001:db8:0:0::/64', '127.0.0.2']);
    expect(guard.lift('2001:db8:0:0::/64')?.source).toBe('2001:db8:0:0::/64');
    expect(guard.lift('127.0.0.2')?.failures).toBe(3);
    expect(guard.lift('127.0.0.2')).toBeUndefined();
    expect(guard.isBanned('127.0.0.2')).toBe(false);
    expect(guard.authFailed('sip:u9@herald.local', '127.0.0.2').banned).toBeUndefined();
  });
});

describe('SourceGuard: bounded memory', () => {
  it('drops expired sources first, then forgets the oldest eighth when full of live ones', () => {
    const { guard, clock, full } = guardAt({ maxEntries: 1_000, sourceMaxRequests: 1 });
    for (let i = 0; i < 1_000; i++) guard.takeRequest(`10.0.${i >> 8}.${i & 255}`);
    clock.now += LIMITS.windowMs;
    // All expired: the scan makes room without forgetting anything live.
    for (let i = 0; i < 1_000; i++) guard.takeRequest(`10.1.${i >> 8}.${i & 255}`);
    expect(full).toEqual([]);
    expect(guard.takeRequest('10.1.0.0')).toBeDefined();
    guard.takeRequest('10.2.0.0');
    expect(full).toEqual([{ table: 'sources', evicted: 125 }]);
    // The oldest (10.1.0.0) was forgotten: its count started over; a newer one kept its count.
    expect(guard.takeRequest('10.1.0.0')).toBeUndefined();
    expect(guard.takeRequest('10.1.3.231')).toBeDefined();
  });
});
