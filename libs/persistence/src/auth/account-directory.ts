import type { BatchAccountDirectory } from '#herald/domain';
import type { DataSource } from 'typeorm';
import { preparedStatement, queryPrepared } from '../prepared-statement';

const EXISTING_ACCOUNTS = preparedStatement(
  `SELECT aor FROM auth_active_accounts_v1 WHERE aor = ANY($1::text[])`,
);

/**
 * AccountDirectory over auth's read contract auth_active_accounts_v1 (a disabled account counts as
 * absent: nobody can message it or add it). Reads outside the caller's transaction: an account is
 * never created and used within one command.
 */
export class SqlAccountDirectory implements BatchAccountDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async exists(aor: string): Promise<boolean> {
    const rows: Array<{ found: boolean }> = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM auth_active_accounts_v1 WHERE aor = $1) AS found`,
      [aor],
    );
    return rows[0]?.found === true;
  }

  async existing(aors: readonly string[]): Promise<ReadonlySet<string>> {
    if (aors.length === 0) {
      return new Set();
    }
    const rows = await queryPrepared<{ aor: string }>(this.dataSource.manager, EXISTING_ACCOUNTS, [aors]);
    return new Set(rows.map((row) => row.aor));
  }
}
