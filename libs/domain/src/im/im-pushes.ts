import { imPush, imStatusPush, type ImStatusPush, type ResultPush } from '#herald/contracts';
import type { PushRequest } from '../push';
import type { StoredMessage } from './message';

export const IM_ROUTER_ORIGIN = 'im-router';
/**
 * Starts the pushId of every IM delivery: outcomes of im-router's other pushes (results,
 * im.status) are skipped without a transaction.
 */
export const IM_DELIVERY_PUSH_ID_PREFIX = 'im-';

/** The result of a command, to the device that sent it. */
export function resultRequest(sender: { aor: string; deviceId: string }, result: ResultPush): PushRequest {
  return {
    origin: IM_ROUTER_ORIGIN,
    target: { kind: 'device', aor: sender.aor, deviceId: sender.deviceId },
    push: result,
  };
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
    pushIdPrefix: IM_DELIVERY_PUSH_ID_PREFIX,
  };
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
  };
}
