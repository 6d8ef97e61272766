import { bigint, bytea, integer, jsonb, nullable, table, text, timestamptz } from './table';

/** The idempotency record of every service (migration ProcessedCommands1767225600000). */
export const PROCESSED_COMMANDS = table('processed_commands', {
  service: text(),
  aor: text(),
  command_id: text(),
  result: nullable(jsonb<unknown>()),
  created_at: timestamptz(),
});

/** The embedded default's bus journal, written by libs/bus JournalStore (migration BusJournal1795500000000). */
export const BUS_JOURNAL = table('bus_journal', {
  id: bigint(),
  topic: text(),
  partition: integer(),
  key: text(),
  value: bytea(),
  headers: jsonb<Record<string, string>>(),
  published_at: timestamptz(),
});

/** Per consumer group and topic-partition, the last journal id its handler finished. */
export const BUS_GROUP_OFFSETS = table('bus_group_offsets', {
  group_id: text(),
  topic: text(),
  partition: integer(),
  last_id: bigint(),
  updated_at: timestamptz(),
});
