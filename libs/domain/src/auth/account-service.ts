import type { UnitOfWork, Transaction, EventPublisher } from '../shared';
import {
  type Account,
  type AccountView,
  accountView,
  changedProfile,
  DIGEST_ALGORITHMS,
  type DigestAlgorithm,
  type ProfileChange,
  validatePassword,
  validateUsername,
} from './account';
import { AuthError, type AuthErrorCode } from './auth-error';
import type { AccountRepository, DigestFunctions, RegistrationRepository } from './ports';
import { publishRemovals, type RemovalReason } from './registration-events';

export interface AccountServiceDependencies {
  unitOfWork: UnitOfWork;
  accounts: AccountRepository;
  digest: DigestFunctions;
  /** The SIP domain D: AORs are `sip:<username>@D` and D is the digest realm. */
  sipDomain: string;
  /**
   * When given, deleting or disabling an account also removes its bindings and sessions and
   * announces them (auth.session-ended, auth.device-unregistered) so presence and im-router
   * forget the devices at once. Without it (a CLI with no bus) a disabled account's bindings
   * stay until they expire, and a deleted account's go with it unannounced.
   */
  deviceRemoval?: { bus: EventPublisher; registrations: RegistrationRepository };
  now?: () => Date;
}

export interface NewAccount {
  username: string;
  password: string;
  displayName?: string;
  settings?: Record<string, unknown>;
}

export interface AccountChange extends ProfileChange {
  disabled?: boolean;
}

export const DEFAULT_ACCOUNT_PAGE_SIZE = 100;
/** Accounts one import call creates at most (one statement). */
export const MAX_ACCOUNT_IMPORT_BATCH = 1000;

/** What became of one account of an import, in the order given. */
export type ImportOutcome =
  | { username: string; outcome: 'created' | 'existed' }
  | { username: string; outcome: 'refused'; code: AuthErrorCode; message: string };

/** Provisioning of accounts, shared by the admin HTTP API and the CLI. */
export class AccountService {
  private readonly deps: AccountServiceDependencies;
  private readonly now: () => Date;
  private readonly domain: string;

  constructor(dependencies: AccountServiceDependencies) {
    this.deps = dependencies;
    this.now = dependencies.now ?? (() => new Date());
    this.domain = dependencies.sipDomain.toLowerCase();
  }

  async create(request: NewAccount): Promise<AccountView> {
    const account = this.newAccount(request, this.now());
    const { username } = account;
    const inserted = await this.deps.unitOfWork.run((tx) => this.deps.accounts.insert(tx, account));
    if (!inserted) {
      throw new AuthError('AUTH_ACCOUNT_EXISTS', `account "${username}" already exists`);
    }
    return accountView(account);
  }

  /**
   * Creates many accounts at once (a bulk import): each is validated alone (a bad one is
   * `refused` with its code, the others go on), a username taken already or earlier in the batch
   * `existed`; the new ones are inserted in one statement.
   */
  async createMany(requests: readonly NewAccount[]): Promise<ImportOutcome[]> {
    if (requests.length > MAX_ACCOUNT_IMPORT_BATCH) {
      throw new AuthError('AUTH_IMPORT_TOO_LARGE', `at most ${MAX_ACCOUNT_IMPORT_BATCH} accounts per import`);
    }
    const at = this.now();
    const valid = new Map<string, Account>();
    const checked = requests.map((request): ImportOutcome | Account => {
      try {
        return this.newAccount(request, at);
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        return { username: request.username, outcome: 'refused', code: error.code, message: error.message };
      }
    });
    for (const entry of checked) {
      if ('aor' in entry && !valid.has(entry.username)) valid.set(entry.username, entry);
    }
    const inserted = await this.deps.unitOfWork.run((tx) =>
      this.deps.accounts.insertMany(tx, [...valid.values()]),
    );
    const claimed = new Set<string>();
    return checked.map((entry): ImportOutcome => {
      if (!('aor' in entry)) return entry;
      const created = inserted.has(entry.username) && !claimed.has(entry.username);
      claimed.add(entry.username);
      return { username: entry.username, outcome: created ? 'created' : 'existed' };
    });
  }

  async get(username: string): Promise<AccountView> {
    return this.deps.unitOfWork.run(async (tx) => accountView(await this.existing(tx, username, false)));
  }

  async list(page: { after?: string; limit?: number } = {}): Promise<AccountView[]> {
    const limit = page.limit ?? DEFAULT_ACCOUNT_PAGE_SIZE;
    const accounts = await this.deps.unitOfWork.run((tx) =>
      this.deps.accounts.list(tx, { after: page.after, limit }),
    );
    return accounts.map(accountView);
  }

  /** Changes the profile and/or the disabled flag. */
  async update(username: string, change: AccountChange): Promise<AccountView> {
    return this.modify(username, (account) => ({
      ...account,
      disabled: change.disabled ?? account.disabled,
      profile: changedProfile(account.profile, change),
    }));
  }

  async resetPassword(username: string, password: string): Promise<AccountView> {
    validatePassword(password);
    return this.modify(username, (account) => ({
      ...account,
      realm: this.domain,
      ha1: this.ha1s(account.username, password),
    }));
  }

  async setDisabled(username: string, disabled: boolean): Promise<AccountView> {
    return this.update(username, { disabled });
  }

  /** Deletes the account; its registrations and sessions go with it (announced, see deviceRemoval). */
  async delete(username: string): Promise<void> {
    await this.deps.unitOfWork.run(async (tx) => {
      const account = await this.existing(tx, username, true);
      await this.removeDevices(tx, account.aor, 'account-deleted');
      if (!(await this.deps.accounts.delete(tx, username))) {
        throw notFound(username);
      }
    });
  }

  private async modify(username: string, change: (account: Account) => Account): Promise<AccountView> {
    return this.deps.unitOfWork.run(async (tx) => {
      const account = await this.existing(tx, username, true);
      const changed = { ...change(account), updatedAt: this.now() };
      await this.deps.accounts.update(tx, changed);
      if (changed.disabled && !account.disabled) {
        await this.removeDevices(tx, account.aor, 'account-disabled');
      }
      return accountView(changed);
    });
  }

  /** Removes every binding (and session) of `aor` and announces it, when deviceRemoval is given. */
  private async removeDevices(tx: Transaction, aor: string, reason: RemovalReason): Promise<void> {
    const removal = this.deps.deviceRemoval;
    if (removal === undefined) {
      return;
    }
    const bindings = await removal.registrations.listByAor(tx, aor);
    if (bindings.length === 0) {
      return;
    }
    const removed = await removal.registrations.remove(
      tx,
      aor,
      bindings.map((binding) => binding.deviceId),
    );
    await publishRemovals(removal.bus, removed, reason, this.now());
  }

  private async existing(tx: Transaction, username: string, lock: boolean): Promise<Account> {
    const account = await this.deps.accounts.findByUsername(tx, username, { lock });
    if (account === undefined) {
      throw notFound(username);
    }
    return account;
  }

  private newAccount(request: NewAccount, at: Date): Account {
    const username = validateUsername(request.username);
    return {
      username,
      aor: `sip:${username}@${this.domain}`,
      realm: this.domain,
      ha1: this.ha1s(username, validatePassword(request.password)),
      disabled: false,
      profile: changedProfile({ settings: {} }, request),
      createdAt: at,
      updatedAt: at,
    };
  }

  private ha1s(username: string, password: string): Record<DigestAlgorithm, string> {
    const entries = DIGEST_ALGORITHMS.map((algorithm) => [
      algorithm,
      this.deps.digest.ha1(algorithm, username, this.domain, password),
    ]);
    return Object.fromEntries(entries) as Record<DigestAlgorithm, string>;
  }
}

function notFound(username: string): AuthError {
  return new AuthError('AUTH_ACCOUNT_NOT_FOUND', `account "${username}" not found`);
}
