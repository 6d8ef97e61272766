import { hash } from 'node:crypto';

/** An IM as stored: one row of the offline store until a recipient device answers it. */
export interface StoredMessage {
  /** Internal key of the row (the store's, not the client's). */
  key: string;
  senderAor: string;
  /** The envelope id of the im.send that created it. */
  commandId: string;
  /** The client-visible id: the sender's `messageId`, or one Herald derived. */
  messageId: string;
  recipientAor: string;
  text: string;
  sentAt: Date;
}

export type NewMessage = Omit<StoredMessage, 'key'>;

/** The outcome of storing a message: `created` false when (sender, messageId) was already stored. */
export interface InsertedMessage {
  created: boolean;
  message: StoredMessage;
}

/**
 * The messageId Herald assigns when the client sent none. Derived from (sender, command id), not
 * random: a redelivered or retried command gets the same id, so a recipient never sees one IM
 * under two messageIds.
 */
export function derivedMessageId(senderAor: string, commandId: string): string {
  const digest = hash('sha256', `${senderAor}\n${commandId}`, 'base64url');
  return `h-${digest.slice(0, 32)}`;
}
