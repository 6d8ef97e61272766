import type { AccountService } from '#herald/domain';

export const DEMO_USERS = ['alice', 'bob', 'carol'] as const;
export const DEMO_PASSWORD = 'herald';

/** Creates the demo accounts when the database has no account at all; returns the names created. */
export async function ensureDemoAccounts(accounts: AccountService): Promise<string[]> {
  if ((await accounts.list({ limit: 1 })).length > 0) return [];
  for (const username of DEMO_USERS) {
    await accounts.create({ username, password: DEMO_PASSWORD });
  }
  return [...DEMO_USERS];
}
