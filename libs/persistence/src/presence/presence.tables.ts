import { bigint, jsonb, nullable, table, text, timestamptz, uuid } from '../table';

/** Rosters (migration PresenceRostersAndStatus1795493295151). */
export const ROSTER_ENTRIES = table('roster_entries', {
  owner_aor: text(),
  buddy_aor: text(),
  name: nullable(text()),
  group: nullable(text()),
  state: text<'both' | 'pending-out' | 'pending-in'>(),
  created_at: timestamptz(),
});

/** One device's presence: status only while it has a session. */
export const PRESENCE_DEVICES = table('presence_devices', {
  aor: text(),
  device_id: text(),
  mode: text<'plain' | 'session' | 'ended'>(),
  status: nullable(text<'online' | 'away' | 'busy' | 'invisible'>()),
  note: nullable(text()),
  changed_at: timestamptz(),
  /** The PUBLISH in force (PresencePublications1795600000000): etag, basic and expiry set together. */
  publication_etag: nullable(text()),
  publication_basic: nullable(text<'open' | 'closed'>()),
  publication_note: nullable(text()),
  publication_expires_at: nullable(timestamptz()),
});

/** What others see of one user. */
export const PRESENCE_AGGREGATES = table('presence_aggregates', {
  aor: text(),
  status: text<'online' | 'away' | 'busy' | 'offline'>(),
  note: nullable(text()),
  changed_at: timestamptz(),
});

/** One SIMPLE subscription dialog (migration PresenceSubscriptions1795600100000). */
export const PRESENCE_SUBSCRIPTIONS = table('presence_subscriptions', {
  id: uuid(),
  subscriber_aor: text(),
  target_aor: text(),
  device_id: text(),
  edge_id: text(),
  flow_id: text(),
  call_id: text(),
  subscriber_tag: text(),
  notifier_tag: text(),
  contact: text(),
  route_set: jsonb<string[]>(),
  event_id: nullable(text()),
  subscriber_cseq: bigint(),
  notify_cseq: bigint(),
  expires_at: timestamptz(),
});
