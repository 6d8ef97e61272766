import type { Transaction } from '../shared';
import type { AggregatePresence, DevicePresence, RosterBuddyView, RosterEntry } from './presence-model';

/** Both directions of one pair of users, read under a lock held until the transaction ends. */
export interface RosterPair {
  /** `a` holds `b`. */
  forward?: RosterEntry;
  /** `b` holds `a`. */
  reverse?: RosterEntry;
}

export interface RosterRepository {
  /**
   * Locks the pair (a, b) for the transaction, whether or not entries exist yet, so two users
   * adding each other at once are serialized, then reads both directions.
   */
  lockPair(tx: Transaction, a: string, b: string): Promise<RosterPair>;
  /** Inserts or replaces entries (by owner and buddy). */
  save(tx: Transaction, entries: readonly RosterEntry[]): Promise<void>;
  remove(tx: Transaction, pairs: ReadonlyArray<{ ownerAor: string; buddyAor: string }>): Promise<void>;
  /** The owner's whole roster with each accepted buddy's aggregate presence, in one query. */
  rosterOf(tx: Transaction, ownerAor: string): Promise<RosterBuddyView[]>;
  /**
   * Locks, in AOR order (one statement), the aggregates of the user and of each accepted buddy,
   * creating a missing one as offline since the epoch: presence read after it (a login snapshot, a
   * new buddy's) waits for a buddy's change in flight, its first one too, rather than reading the
   * status that change replaces while its fan-out missed the reader.
   */
  lockWithBuddies(tx: Transaction, aor: string): Promise<void>;
  /** Every user holding `aor` as an accepted buddy (state both), in one query. */
  watchersOf(tx: Transaction, aor: string): Promise<string[]>;
}

export interface PresenceRepository {
  /**
   * The user's aggregate (offline when never seen), locked for the transaction: every device
   * change of one user is serialized on this lock, whatever topic it came from.
   */
  lockAggregate(tx: Transaction, aor: string): Promise<AggregatePresence>;
  saveAggregate(tx: Transaction, aor: string, aggregate: AggregatePresence): Promise<void>;
  devicesOf(tx: Transaction, aor: string): Promise<DevicePresence[]>;
  saveDevice(tx: Transaction, aor: string, device: DevicePresence): Promise<void>;
  /**
   * Deletes up to `limit` ended devices without a publication that last changed before `before`,
   * skipping rows another transaction holds; returns how many.
   */
  forgetEndedDevices(tx: Transaction, before: Date, limit: number): Promise<number>;
}
