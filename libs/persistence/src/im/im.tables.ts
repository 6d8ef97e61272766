import { bigint, nullable, table, text, timestamptz, uuid } from '../table';

/** The IM store: the offline store until answered (migration ImMessages1795493069063). */
export const MESSAGES = table('messages', {
  id: uuid(),
  /** Insertion order: offline messages are delivered by seq. */
  seq: bigint(),
  sender_aor: text(),
  command_id: text(),
  message_id: text(),
  recipient_aor: text(),
  text: text(),
  sent_at: timestamptz(),
  delivered_at: nullable(timestamptz()),
  stored_notified_at: nullable(timestamptz()),
  /** The push whose answer marked it delivered (migration ImMessagesDeliveredPushId1797100000000). */
  delivered_push_id: nullable(text()),
});

/** One push of a message to one device. */
export const MESSAGE_DELIVERIES = table('message_deliveries', {
  push_id: text(),
  message_key: uuid(),
  recipient_aor: text(),
  device_id: text(),
  attempted_at: timestamptz(),
  outcome: nullable(text<'answered' | 'failed' | 'timed-out' | 'no-flow'>()),
  outcome_at: nullable(timestamptz()),
});

/** A new registration waiting out the login grace period (migration ImPlainDeviceQueue1795493900375). */
export const PLAIN_DEVICE_QUEUE = table('plain_device_queue', {
  aor: text(),
  device_id: text(),
  due_at: timestamptz(),
});
