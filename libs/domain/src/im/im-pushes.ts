import { imPush, imStatusPush, type ImStatusPush } from '#herald/contracts';
import { hash } from 'node:crypto';
import type { Device, PushRequest } from '../push';
import type { StoredMessage } from './message';

export const IM_ROUTER_ORIGIN = 'im-router';
/**
 * Starts the pushId of every IM delivery: outcomes of im-router's other pushes (results,
 * im.status) are skipped without a transaction.
 */
export const IM_DELIVERY_PUSH_ID_PREFIX = 'im-';

/**
 * The push id of a message's delivery to one device: the same each time it is pushed there, from
 * what identifies the message (sender, messageId), not from its row. A command redelivered after
 * a crash rolled back the transaction that recorded its pushes (they were published before the
 * commit) pushes its IM again under the same id, which the edge, having seen it answered, does not
 * send to the device again (protocol.md §3: clients process push ids once too).
 */
export function deliveryPushId(
  message: Pick<StoredMessage, 'senderAor' | 'messageId'>,
  device: Device,
): string {
  const digest = hash(
    'sha256',
    JSON.stringify([message.senderAor, message.messageId, device.aor, device.deviceId]),
    'base64url',
  );
  return IM_DELIVERY_PUSH_ID_PREFIX + digest;
}

/** An IM to its recipient's devices (`offline` when it waited in the store). */
export function imRequest(
  message: StoredMessage,
  target: PushRequest['target'],
  offline: boolean,
): PushRequest {
  return {
    origin: IM_ROUTER_ORIGIN,
    target,
    push: imPush({
      messageId: message.messageId,
      from: message.senderAor,
      text: message.text,
      sentAt: message.sentAt.toISOString(),
      offline,
    }),
    // Plain SIP devices get the text as a text/plain MESSAGE from the sender (protocol.md §7).
    plainText: { text: message.text, fromUri: message.senderAor },
    pushIdFor: (device) => deliveryPushId(message, device),
    // ImSettle records its answer (delivered) or its failure (stored, pushed again at login).
    outcomeWanted: true,
  };
}

/** Starts the pushId of every im.status. */
export const IM_STATUS_PUSH_ID_PREFIX = 'status-';

/**
 * The push id of an im.status about a message to one device of its sender: the same each time that
 * state of that message is told there. A notice told again (published before a commit that then
 * failed, or re-told by a redelivered im.send) is answered by the edge from memory and processed
 * once by the client (protocol.md §3), not taken for a second notice.
 */
export function statusPushId(
  message: Pick<StoredMessage, 'senderAor' | 'messageId'>,
  state: ImStatusPush['state'],
  device: Device,
): string {
  const digest = hash(
    'sha256',
    JSON.stringify([message.senderAor, message.messageId, state, device.aor, device.deviceId]),
    'base64url',
  );
  return IM_STATUS_PUSH_ID_PREFIX + digest;
}

/** An im.status about a message, to every device of its sender. */
export function statusRequest(
  message: Pick<StoredMessage, 'senderAor' | 'messageId'>,
  status: Pick<ImStatusPush, 'state' | 'error'>,
): PushRequest {
  return {
    origin: IM_ROUTER_ORIGIN,
    target: { kind: 'aor', aor: message.senderAor },
    push: imStatusPush({ messageId: message.messageId, ...status }),
    pushIdFor: (device) => statusPushId(message, status.state, device),
  };
}
