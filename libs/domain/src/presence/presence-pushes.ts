import {
  buddyRequestPush,
  type PushBody,
  presencePush,
  type PresencePush,
  type RosterPush,
  rosterPush,
} from '#herald/contracts';
import type { AggregatePresence, RosterBuddyView } from './presence-model';

export function presencePushOf(aor: string, presence: AggregatePresence): PresencePush {
  return presencePush({
    uri: aor,
    status: presence.status,
    ...(presence.note === undefined ? {} : { note: presence.note }),
    at: presence.at.toISOString(),
  });
}

export function rosterPushOf(roster: readonly RosterBuddyView[]): RosterPush {
  return rosterPush(
    roster.map((entry) => ({
      uri: entry.buddyAor,
      ...(entry.name === undefined ? {} : { name: entry.name }),
      ...(entry.group === undefined ? {} : { group: entry.group }),
      state: entry.state,
      status: entry.presence.status,
      ...(entry.presence.note === undefined ? {} : { note: entry.presence.note }),
    })),
  );
}

/**
 * What a device gets at login, in this order (protocol.md §4 `login`): the roster, the presence
 * of every accepted buddy, then the pending buddy requests.
 */
export function loginSnapshotOf(roster: readonly RosterBuddyView[]): PushBody[] {
  return [
    rosterPushOf(roster),
    ...roster.filter((e) => e.state === 'both').map((e) => presencePushOf(e.buddyAor, e.presence)),
    ...roster.filter((e) => e.state === 'pending-in').map((e) => buddyRequestPush({ from: e.buddyAor })),
  ];
}
