import type { Account, AccountCredentials, AccountRepository, Transaction } from '#herald/domain';
import { keySetStatement, queryKeySet } from '../prepared-statement';
import { columnList, type RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import { ACCOUNTS } from './auth.tables';

type AccountRow = RowOf<typeof ACCOUNTS>;

/** Every column, in the order of accountValues. */
const ACCOUNT_COLUMNS = columnList(ACCOUNTS, [
  'username',
  'aor',
  'realm',
  'ha1_md5',
  'ha1_sha256',
  'disabled',
  'display_name',
  'settings',
  'created_at',
  'updated_at',
]);

/** What a REGISTER's authorization reads: no profile and no times, which a refresh would only parse. */
const CREDENTIAL_COLUMNS = columnList(ACCOUNTS, [
  'username',
  'aor',
  'realm',
  'ha1_md5',
  'ha1_sha256',
  'disabled',
]);
type CredentialsRow = Pick<AccountRow, 'username' | 'aor' | 'realm' | 'ha1_md5' | 'ha1_sha256' | 'disabled'>;

// Rows are locked as the sorted scan returns them: in username order.
const credentialsByUsername = (usernameMatch: string) =>
  `SELECT ${CREDENTIAL_COLUMNS} FROM accounts WHERE username ${usernameMatch} ORDER BY username`;
const CREDENTIALS_BY_USERNAME = keySetStatement('text', credentialsByUsername);
const CREDENTIALS_BY_USERNAME_LOCKED = keySetStatement(
  'text',
  (usernameMatch) => `${credentialsByUsername(usernameMatch)} FOR UPDATE`,
);

/** AccountRepository on `accounts`, inside the caller's transaction. */
export class SqlAccountRepository implements AccountRepository {
  async insert(tx: Transaction, account: Account): Promise<boolean> {
    const inserted: unknown[] = await entityManagerOf(tx).query(
      `INSERT INTO accounts (${ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
       ON CONFLICT DO NOTHING RETURNING 1`,
      accountValues(account),
    );
    return inserted.length > 0;
  }

  async insertMany(tx: Transaction, accounts: readonly Account[]): Promise<ReadonlySet<string>> {
    if (accounts.length === 0) {
      return new Set();
    }
    const columns = accounts.map(accountValues);
    const column = (index: number) => columns.map((values) => values[index]);
    // One statement for the whole batch: one array per column, unnested into rows.
    const inserted: { username: string }[] = await entityManagerOf(tx).query(
      `INSERT INTO accounts (${ACCOUNT_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[],
         $7::text[], $8::jsonb[], $9::timestamptz[], $10::timestamptz[])
       ON CONFLICT DO NOTHING RETURNING username`,
      ACCOUNT_COLUMNS.split(', ').map((_, index) => column(index)),
    );
    return new Set(inserted.map((row) => row.username));
  }

  findByUsername(
    tx: Transaction,
    username: string,
    options?: { lock?: boolean },
  ): Promise<Account | undefined> {
    return this.findOne(tx, 'username', username, options?.lock === true);
  }

  async findCredentialsByUsername(
    tx: Transaction,
    usernames: readonly string[],
    options?: { lock?: boolean },
  ): Promise<AccountCredentials[]> {
    if (usernames.length === 0) {
      return [];
    }
    const rows = await queryKeySet<CredentialsRow>(
      entityManagerOf(tx),
      options?.lock === true ? CREDENTIALS_BY_USERNAME_LOCKED : CREDENTIALS_BY_USERNAME,
      usernames,
    );
    return rows.map(toCredentials);
  }

  findByAor(tx: Transaction, aor: string, options?: { lock?: boolean }): Promise<Account | undefined> {
    return this.findOne(tx, 'aor', aor, options?.lock === true);
  }

  async list(tx: Transaction, page: { after?: string; limit: number }): Promise<Account[]> {
    const rows: AccountRow[] = await entityManagerOf(tx).query(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE username > $1
       ORDER BY username LIMIT $2`,
      // '' sorts before every username, so the first page is a plain index range scan too.
      [page.after ?? '', page.limit],
    );
    return rows.map(toAccount);
  }

  async update(tx: Transaction, account: Account): Promise<void> {
    await entityManagerOf(tx).query(
      `UPDATE accounts SET aor = $2, realm = $3, ha1_md5 = $4, ha1_sha256 = $5, disabled = $6,
         display_name = $7, settings = $8::jsonb, created_at = $9, updated_at = $10
       WHERE username = $1`,
      accountValues(account),
    );
  }

  async delete(tx: Transaction, username: string): Promise<boolean> {
    // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare DELETE.
    const deleted: unknown[] = await entityManagerOf(tx).query(
      `WITH deleted AS (DELETE FROM accounts WHERE username = $1 RETURNING 1) SELECT * FROM deleted`,
      [username],
    );
    return deleted.length > 0;
  }

  private async findOne(
    tx: Transaction,
    column: 'username' | 'aor',
    value: string,
    lock: boolean,
  ): Promise<Account | undefined> {
    const rows: AccountRow[] = await entityManagerOf(tx).query(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE ${column} = $1${lock ? ' FOR UPDATE' : ''}`,
      [value],
    );
    return rows.length > 0 ? toAccount(rows[0]) : undefined;
  }
}

function accountValues(account: Account): unknown[] {
  return [
    account.username,
    account.aor,
    account.realm,
    account.ha1.MD5,
    account.ha1['SHA-256'],
    account.disabled,
    account.profile.displayName ?? null,
    JSON.stringify(account.profile.settings),
    account.createdAt,
    account.updatedAt,
  ];
}

function toCredentials(row: CredentialsRow): AccountCredentials {
  return {
    username: row.username,
    aor: row.aor,
    realm: row.realm,
    ha1: { MD5: row.ha1_md5, 'SHA-256': row.ha1_sha256 },
    disabled: row.disabled,
  };
}

function toAccount(row: AccountRow): Account {
  return {
    ...toCredentials(row),
    profile:
      row.display_name === null
        ? { settings: row.settings }
        : { displayName: row.display_name, settings: row.settings },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
