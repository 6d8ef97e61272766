import type { DeviceStatus, VisibleStatus } from '#herald/contracts';

/** A roster entry's state as the owner sees it (protocol.md §5 `roster`). */
export type RosterState = 'both' | 'pending-out' | 'pending-in';

/** One row of roster_entries: `ownerAor` holds `buddyAor`. */
export interface RosterEntry {
  ownerAor: string;
  buddyAor: string;
  name?: string;
  group?: string;
  state: RosterState;
}

/** The aggregate presence others see of one user. */
export interface AggregatePresence {
  status: VisibleStatus;
  note?: string;
  /** When the aggregate last changed (the `at` of presence pushes). */
  at: Date;
}

/** A roster entry with the buddy's current presence (offline unless the entry is accepted). */
export interface RosterBuddyView extends RosterEntry {
  presence: AggregatePresence;
}

/** A device's presence PUBLISH (RFC 3903) in force: what it shows until it expires or is removed. */
export interface Publication {
  /** The entity-tag the next refresh, modify or remove must name (SIP-If-Match). */
  etag: string;
  basic: 'open' | 'closed';
  note?: string;
  expiresAt: Date;
}

/**
 * What presence knows of one device: `plain` is registered and never logged in (counts as
 * online, protocol.md §7), `session` is logged in with a status, `ended` logged out or
 * unregistered (counts as offline until it registers anew; an unregistered device's row stays so
 * that older events of it are recognised as stale). A `publication`, when present, is what the
 * device shows instead.
 */
export type DevicePresence = (
  | { deviceId: string; mode: 'plain'; changedAt: Date }
  | { deviceId: string; mode: 'session'; status: DeviceStatus; note?: string; changedAt: Date }
  | { deviceId: string; mode: 'ended'; changedAt: Date }
) & { publication?: Publication };

/** Something that happened to one device, with the time it happened. */
export type DeviceEvent = { deviceId: string; at: Date } & (
  | { kind: 'registered'; created: boolean }
  | { kind: 'unregistered' }
  /** Login (session-started) or presence.set: the device's status and note. */
  | { kind: 'status'; status: DeviceStatus; note?: string }
  | { kind: 'session-ended' }
  /** A PUBLISH created, refreshed or modified the device's publication. */
  | { kind: 'published'; publication: Publication }
  /** The publication with this entity-tag was removed or expired. */
  | { kind: 'unpublished'; etag: string }
);
