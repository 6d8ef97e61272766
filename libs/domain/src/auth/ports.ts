import type { DeviceStatus, SessionCarrier, Transport } from '#herald/contracts';
import type { CommandClaim, Transaction } from '../shared';
import type { Account, AccountCredentials, DigestAlgorithm } from './account';

export interface AccountRepository {
  /** Inserts a new account; false when the username is taken. */
  insert(tx: Transaction, account: Account): Promise<boolean>;
  /**
   * Inserts new accounts (distinct usernames) in one statement, skipping taken usernames;
   * returns the usernames inserted.
   */
  insertMany(tx: Transaction, accounts: readonly Account[]): Promise<ReadonlySet<string>>;
  /** `lock` takes the row lock: REGISTERs of one AOR are serialized on it. */
  findByUsername(
    tx: Transaction,
    username: string,
    options?: { lock?: boolean },
  ): Promise<Account | undefined>;
  /**
   * The credentials of the accounts of these usernames (missing ones left out), in username order;
   * `lock` takes their row locks in that order, so groups of REGISTERs locking overlapping accounts
   * cannot deadlock.
   */
  findCredentialsByUsername(
    tx: Transaction,
    usernames: readonly string[],
    options?: { lock?: boolean },
  ): Promise<AccountCredentials[]>;
  findByAor(tx: Transaction, aor: string, options?: { lock?: boolean }): Promise<Account | undefined>;
  /** Accounts ordered by username, after `after` (keyset pagination). */
  list(tx: Transaction, page: { after?: string; limit: number }): Promise<Account[]>;
  update(tx: Transaction, account: Account): Promise<void>;
  /** Deletes the account with its registrations and sessions; false when there was none. */
  delete(tx: Transaction, username: string): Promise<boolean>;
}

/** One binding of an AOR to a device's contact, on the flow its REGISTER arrived on. */
export interface Registration {
  aor: string;
  deviceId: string;
  contact: string;
  /** The Contact's header parameters other than expires (`;+sip.instance=…;reg-id=1`), listed back in the 200 OK. */
  contactParams?: string;
  edgeId: string;
  flowId: string;
  transport: Transport;
  source: SourceAddress;
  callId: string;
  cseq: number;
  expiresAt: Date;
}

/** Where a flow's packets come from, as the edge saw it. */
export interface SourceAddress {
  address: string;
  port: number;
}

/** Names one binding. */
export interface BindingKey {
  aor: string;
  deviceId: string;
}

/** A removed binding, with the carrier of the session it ended (when the device was logged in). */
export interface RemovedRegistration {
  aor: string;
  deviceId: string;
  endedSessionCarrier?: SessionCarrier;
}

export interface RegistrationRepository {
  listByAor(tx: Transaction, aor: string): Promise<Registration[]>;
  /** The bindings of every AOR, in one statement. */
  listByAors(tx: Transaction, aors: readonly string[]): Promise<Registration[]>;
  find(tx: Transaction, aor: string, deviceId: string): Promise<Registration | undefined>;
  /** The UDP bindings (live or lapsed) whose source address and port is one of `sources`, in one statement. */
  listUdpBySources(tx: Transaction, sources: readonly SourceAddress[]): Promise<Registration[]>;
  /** Inserts or replaces the binding of each (aor, deviceId), in one statement; pairs must be distinct. */
  saveAll(tx: Transaction, registrations: readonly Registration[]): Promise<void>;
  /** Removes bindings and their sessions. */
  remove(tx: Transaction, aor: string, deviceIds: readonly string[]): Promise<RemovedRegistration[]>;
  /** Removes the bindings of several AORs and their sessions, in one statement. */
  removePairs(tx: Transaction, bindings: readonly BindingKey[]): Promise<RemovedRegistration[]>;
  /**
   * Handles up to `limit` bindings due for the expiry sweep at `now`, skipping rows other replicas
   * hold (FOR UPDATE SKIP LOCKED): removes those expired with their sessions, and puts off those
   * refreshed since they came due (a store may find them due before their expiry).
   */
  removeExpired(tx: Transaction, now: Date, limit: number): Promise<ExpiredRemoval>;
}

/** What one batch of the expiry sweep did: `removed.length + postponed` rows handled. */
export interface ExpiredRemoval {
  removed: RemovedRegistration[];
  /** Bindings found due but refreshed since, now due at their expiry. */
  postponed: number;
}

/** A REGISTER's claim and the bindings it saves when it is claimed first. */
export interface ClaimedSave {
  claim: CommandClaim;
  saves: readonly Registration[];
}

/** Claims of REGISTERs written with their bindings: a group without removals in one statement. */
export interface ClaimingRegistrations {
  /**
   * Claims every REGISTER as BatchIdempotencyStore.claimAll does and, in the same statement, saves
   * (as RegistrationRepository.saveAll) the bindings of those it claimed first. Returns, in input
   * order, whether each was claimed first. Keys must be distinct, and so must the bindings.
   */
  claimAndSaveAll(tx: Transaction, entries: readonly ClaimedSave[]): Promise<boolean[]>;
}

/** A logged-in device. */
export interface Session {
  aor: string;
  deviceId: string;
  carrier: SessionCarrier;
  status: DeviceStatus;
  note?: string;
  device?: { name?: string; agent?: string };
  startedAt: Date;
}

export interface SessionRepository {
  find(tx: Transaction, aor: string, deviceId: string): Promise<Session | undefined>;
  /**
   * Inserts or replaces the session of (aor, deviceId) and, in the same statement, has its
   * binding remember that the device sent `login` (kept across refreshes, gone with the
   * binding): after a logout it is a logged-out JSON client, not a plain SIP device
   * (protocol.md §7: plain is a registered device that never sent `login`).
   */
  save(tx: Transaction, session: Session): Promise<void>;
  /** Ends a session; returns it, or undefined when there was none. */
  remove(tx: Transaction, aor: string, deviceId: string): Promise<Session | undefined>;
}

/** Inputs of the digest check for qop=auth (RFC 7616 §3.4.1). */
export interface DigestResponseCheck {
  ha1: string;
  algorithm: DigestAlgorithm;
  method: string;
  uri: string;
  nonce: string;
  nc: string;
  cnonce: string;
  qop: string;
  response: string;
}

/** The digest functions of libs/sip (ha1, verifyDigestResponse), injected by the app. */
export interface DigestFunctions {
  ha1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string;
  verifyResponse(check: DigestResponseCheck): boolean;
}

/** A registered device as the operator sees it: its binding and, when logged in, its session. */
export interface AdministeredDevice extends Registration {
  registeredAt: Date;
  session?: Omit<Session, 'aor' | 'deviceId'>;
}

/** Whose devices: one user's, or those registered through one edge. */
export type DeviceSelection = { aor: string } | { edgeId: string };

/** Where a page of devices starts: after this (aor, deviceId), in that order. */
export interface DeviceCursor {
  aor: string;
  deviceId: string;
}

/** The operator's reads and removals of registrations and sessions (set-based statements). */
export interface DeviceAdminRepository {
  /** Up to `limit` devices of the selection ordered by (aor, deviceId), in one query. */
  list(
    tx: Transaction,
    selection: DeviceSelection,
    page: { after?: DeviceCursor; limit: number; loggedInOnly: boolean },
  ): Promise<AdministeredDevice[]>;
  /** Ends the sessions of `aor` (of `deviceIds` when given) in one statement; returns the ended ones. */
  endSessions(tx: Transaction, aor: string, deviceIds?: readonly string[]): Promise<Session[]>;
}
