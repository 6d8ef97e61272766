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

/**
 * What presence knows of one device: `plain` is registered and never logged in (counts as
 * online, protocol.md §7), `session` is logged in with a status, `ended` logged out but still
 * registered (counts as offline until it unregisters or registers anew).
 */
export type DevicePresence =
  | { deviceId: string; mode: 'plain'; changedAt: Date }
  | { deviceId: string; mode: 'session'; status: DeviceStatus; note?: string; changedAt: Date }
  | { deviceId: string; mode: 'ended'; changedAt: Date };

/** Something that happened to one device, with the time it happened. */
export type DeviceEvent = { deviceId: string; at: Date } & (
  | { kind: 'registered'; created: boolean }
  | { kind: 'unregistered' }
  /** Login (session-started) or presence.set: the device's status and note. */
  | { kind: 'status'; status: DeviceStatus; note?: string }
  | { kind: 'session-ended' }
);
