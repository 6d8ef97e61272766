import { RecordingBus as SharedRecordingBus } from './recording-bus';
import { edgeOutboundV1, type PushRequestedV1 } from '#herald/contracts';
import type { Device, DeviceDirectory, DeviceLookupOptions } from '../src/push';
import {
  type BatchIdempotencyStore,
  type BulkResultStore,
  type CommandClaim,
  type CommandKey,
  type IdempotencyClaim,
  type StoredLookup,
  type StoredResult,
  Transaction,
  type UnitOfWork,
} from '../src/shared';
import type { Account, AccountCredentials } from '../src/auth/account';
import type {
  AccountRepository,
  BindingKey,
  ClaimedSave,
  ClaimingRegistrations,
  ExpiredRemoval,
  Registration,
  RegistrationRepository,
  RemovedRegistration,
  SourceAddress,
  Session,
  SessionRepository,
} from '../src/auth/ports';

/** In-memory adapters of auth's ports, for the domain's unit tests only. */

class InMemoryTransaction extends Transaction {}

export class InMemoryUnitOfWork implements UnitOfWork {
  /** Transactions run so far. */
  transactions = 0;

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    this.transactions += 1;
    return work(new InMemoryTransaction());
  }
  runSingleStatement<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return work(new InMemoryTransaction());
  }
}

export class InMemoryIdempotencyStore implements BatchIdempotencyStore, BulkResultStore {
  readonly results = new Map<string, StoredResult | null>();

  async claim(_tx: Transaction, key: CommandKey, expectedResult?: StoredResult): Promise<IdempotencyClaim> {
    const id = keyOf(key);
    if (this.results.has(id)) {
      return { kind: 'duplicate', result: structuredClone(this.results.get(id)) };
    }
    this.results.set(id, structuredClone(expectedResult ?? null));
    return { kind: 'first' };
  }

  async storeResult(_tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    this.results.set(keyOf(key), structuredClone(result));
  }
  storeResultUnflushed(tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    return this.storeResult(tx, key, result);
  }
  async claimAll(tx: Transaction, claims: readonly CommandClaim[]): Promise<IdempotencyClaim[]> {
    const claimed: IdempotencyClaim[] = [];
    for (const { key, expectedResult } of claims) claimed.push(await this.claim(tx, key, expectedResult));
    return claimed;
  }
  async findResults(_tx: Transaction, keys: readonly CommandKey[]): Promise<StoredLookup[]> {
    return keys.map((key) => {
      const id = keyOf(key);
      return this.results.has(id)
        ? { found: true, result: structuredClone(this.results.get(id)) }
        : { found: false };
    });
  }
  async storeResults(
    tx: Transaction,
    entries: ReadonlyArray<{ key: CommandKey; result: StoredResult }>,
  ): Promise<void> {
    for (const { key, result } of entries) await this.storeResult(tx, key, result);
  }
}

function keyOf(key: CommandKey): string {
  return JSON.stringify([key.service, key.aor, key.commandId]);
}

export class InMemoryAccounts implements AccountRepository {
  readonly rows = new Map<string, Account>();

  async insert(_tx: Transaction, account: Account): Promise<boolean> {
    if (this.rows.has(account.username)) return false;
    this.rows.set(account.username, structuredClone(account));
    return true;
  }
  async insertMany(tx: Transaction, accounts: readonly Account[]): Promise<ReadonlySet<string>> {
    const inserted = new Set<string>();
    for (const account of accounts) {
      if (await this.insert(tx, account)) inserted.add(account.username);
    }
    return inserted;
  }
  async findByUsername(_tx: Transaction, username: string): Promise<Account | undefined> {
    const account = this.rows.get(username);
    return account && structuredClone(account);
  }
  async findCredentialsByUsername(
    _tx: Transaction,
    usernames: readonly string[],
  ): Promise<AccountCredentials[]> {
    return [...usernames].sort().flatMap((username) => {
      const account = this.rows.get(username);
      if (account === undefined) return [];
      const { username: name, aor, realm, ha1, disabled } = structuredClone(account);
      return [{ username: name, aor, realm, ha1, disabled }];
    });
  }
  async findByAor(_tx: Transaction, aor: string): Promise<Account | undefined> {
    const account = [...this.rows.values()].find((row) => row.aor === aor);
    return account && structuredClone(account);
  }
  async list(_tx: Transaction, page: { after?: string; limit: number }): Promise<Account[]> {
    return [...this.rows.values()]
      .filter((account) => page.after === undefined || account.username > page.after)
      .sort((a, b) => a.username.localeCompare(b.username))
      .slice(0, page.limit);
  }
  async update(_tx: Transaction, account: Account): Promise<void> {
    this.rows.set(account.username, structuredClone(account));
  }
  async delete(_tx: Transaction, username: string): Promise<boolean> {
    return this.rows.delete(username);
  }
}

/** Registrations and sessions together: removing a binding ends its session, as the FK does. */
/** Claims in an InMemoryIdempotencyStore, then saves the firsts' bindings in InMemoryBindings. */
export class InMemoryClaimingRegistrations implements ClaimingRegistrations {
  /** claimAndSaveAll calls so far. */
  calls = 0;

  constructor(
    private readonly idempotency: InMemoryIdempotencyStore,
    private readonly bindings: InMemoryBindings,
  ) {}

  async claimAndSaveAll(tx: Transaction, entries: readonly ClaimedSave[]): Promise<boolean[]> {
    this.calls += 1;
    const claims = await this.idempotency.claimAll(
      tx,
      entries.map(({ claim }) => claim),
    );
    const firsts = claims.map((claim) => claim.kind === 'first');
    await this.bindings.saveAll(
      tx,
      entries.flatMap(({ saves }, index) => (firsts[index] ? saves : [])),
    );
    return firsts;
  }
}

export class InMemoryBindings implements RegistrationRepository, DeviceDirectory {
  readonly registrations = new Map<string, Registration>();
  readonly sessions = new Map<string, Session>();
  /** Bindings whose device sent `login` during this registration. */
  readonly jsonClients = new Set<string>();

  constructor(private readonly now: () => Date) {}

  async listByAor(_tx: Transaction, aor: string): Promise<Registration[]> {
    return [...this.registrations.values()].filter((r) => r.aor === aor);
  }
  async find(_tx: Transaction, aor: string, deviceId: string): Promise<Registration | undefined> {
    return this.registrations.get(pair(aor, deviceId));
  }
  async listByAors(_tx: Transaction, aors: readonly string[]): Promise<Registration[]> {
    return [...this.registrations.values()].filter((r) => aors.includes(r.aor));
  }
  async listUdpBySources(_tx: Transaction, sources: readonly SourceAddress[]): Promise<Registration[]> {
    return [...this.registrations.values()].filter(
      (r) =>
        r.transport === 'udp' &&
        sources.some((source) => source.address === r.source.address && source.port === r.source.port),
    );
  }
  /** One binding, for a test's set-up. */
  save(tx: Transaction, registration: Registration): Promise<void> {
    return this.saveAll(tx, [registration]);
  }
  async saveAll(_tx: Transaction, registrations: readonly Registration[]): Promise<void> {
    for (const registration of registrations) {
      this.registrations.set(pair(registration.aor, registration.deviceId), { ...registration });
    }
  }
  async remove(_tx: Transaction, aor: string, deviceIds: readonly string[]): Promise<RemovedRegistration[]> {
    return this.removeAll(deviceIds.map((deviceId) => pair(aor, deviceId)));
  }
  async removePairs(_tx: Transaction, bindings: readonly BindingKey[]): Promise<RemovedRegistration[]> {
    return this.removeAll(bindings.map((binding) => pair(binding.aor, binding.deviceId)));
  }
  /** Finds bindings due at their expiry exactly: it never puts one off. */
  async removeExpired(_tx: Transaction, now: Date, limit: number): Promise<ExpiredRemoval> {
    const expired = [...this.registrations.entries()]
      .filter(([, r]) => r.expiresAt <= now)
      .slice(0, limit)
      .map(([key]) => key);
    return { removed: this.removeAll(expired), postponed: 0 };
  }
  private removeAll(keys: string[]): RemovedRegistration[] {
    return keys.flatMap((key) => {
      const registration = this.registrations.get(key);
      if (registration === undefined) return [];
      this.registrations.delete(key);
      this.jsonClients.delete(key);
      const session = this.sessions.get(key);
      this.sessions.delete(key);
      const removed = { aor: registration.aor, deviceId: registration.deviceId };
      return [session === undefined ? removed : { ...removed, endedSessionCarrier: session.carrier }];
    });
  }

  /** The sessions as a SessionRepository (its method names clash with the registrations). */
  readonly sessionRepository: SessionRepository = {
    find: async (_tx, aor, deviceId) => this.sessions.get(pair(aor, deviceId)),
    save: async (_tx, session) => {
      this.sessions.set(pair(session.aor, session.deviceId), { ...session });
      this.jsonClients.add(pair(session.aor, session.deviceId));
    },
    remove: async (_tx, aor, deviceId) => {
      const session = this.sessions.get(pair(aor, deviceId));
      this.sessions.delete(pair(aor, deviceId));
      return session;
    },
  };

  async loggedInDevices(
    aors: readonly string[],
    options?: DeviceLookupOptions,
  ): Promise<ReadonlyMap<string, readonly Device[]>> {
    return new Map(
      aors.map((aor) => [
        aor,
        [...this.registrations.values()]
          .filter((r) => r.aor === aor)
          .flatMap((r) => this.deviceOf(r) ?? [])
          .filter((d) => d.carrier !== 'PLAIN' || options?.includePlainSip === true),
      ]),
    );
  }
  async device(aor: string, deviceId: string): Promise<Device | undefined> {
    const registration = this.registrations.get(pair(aor, deviceId));
    return registration !== undefined && registration.expiresAt > this.now()
      ? this.deviceOf(registration)
      : undefined;
  }
  /** Undefined for a JSON client without a session (logged out): neither logged in nor plain. */
  private deviceOf(r: Registration): Device | undefined {
    const key = pair(r.aor, r.deviceId);
    const carrier = this.sessions.get(key)?.carrier ?? (this.jsonClients.has(key) ? undefined : 'PLAIN');
    if (carrier === undefined) return undefined;
    return {
      aor: r.aor,
      deviceId: r.deviceId,
      edgeId: r.edgeId,
      flowId: r.flowId,
      contact: r.contact,
      carrier,
    };
  }
}

function pair(aor: string, deviceId: string): string {
  return JSON.stringify([aor, deviceId]);
}

/** The shared recording bus, with what the auth tests read from it. */
export class RecordingBus extends SharedRecordingBus {
  /** Bodies of the pushes sent to one device, in order. */
  pushBodies(deviceId?: string): Array<Record<string, unknown>> {
    return this.records
      .filter((r) => r.topic.startsWith('edge.'))
      .map((r) => edgeOutboundV1.decode(r.value))
      .filter((e): e is PushRequestedV1 => e.type === 'push.requested')
      .filter((e) => deviceId === undefined || e.deviceId === deviceId)
      .map((e) => JSON.parse(e.body));
  }
}
