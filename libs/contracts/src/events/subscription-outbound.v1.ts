import { z } from 'zod';
import { AorSchema, DeviceIdSchema, FlowIdSchema } from './common';
import { defineAorKeyedEventContract, eventBase } from './event-contract';
import { SubscriptionDialogSchema } from './sip-subscribe-requested.v1';

/** The final response for a pending SUBSCRIBE server transaction (protocol.md §7). */
export const SubscribeDecidedV1Schema = eventBase('subscribe.decided', 1).extend({
  txKey: z.string().min(1),
  /** The subscriber. */
  aor: AorSchema,
  /** 200, 403 not an accepted buddy, 481 no such subscription, 500 CSeq out of order. */
  status: z.union([z.literal(200), z.literal(403), z.literal(481), z.literal(500)]),
  reason: z.string().optional(),
  /** With 200: the granted duration in seconds (the Expires of the response, RFC 6665 §4.2.1.1). */
  expires: z.number().int().min(0).optional(),
});
export type SubscribeDecidedV1 = z.infer<typeof SubscribeDecidedV1Schema>;

/**
 * Send one NOTIFY (RFC 6665 §4.2.2) inside a subscription dialog over the subscriber's flow, then
 * report a sip.push-outcome carrying `subscriptionId`.
 */
export const NotifyRequestedV1Schema = eventBase('notify.requested', 1).extend({
  pushId: z.string().min(1),
  origin: z.literal('presence'),
  subscriptionId: z.string().min(1).max(64),
  /** The subscriber (To of the NOTIFY). */
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  flowId: FlowIdSchema,
  /** The presentity (From of the NOTIFY). */
  target: AorSchema,
  dialog: SubscriptionDialogSchema,
  /** Herald's CSeq in this dialog, one higher for each NOTIFY. */
  cseq: z.number().int().min(1),
  /** The Subscription-State header value: `active;expires=N`, `terminated;reason=timeout`, ... */
  subscriptionState: z.string().min(1).max(128),
  contentType: z.string().min(1),
  body: z.string(),
});
export type NotifyRequestedV1 = z.infer<typeof NotifyRequestedV1Schema>;

export const subscribeDecidedV1 = defineAorKeyedEventContract('subscribe.decided', SubscribeDecidedV1Schema);
export const notifyRequestedV1 = defineAorKeyedEventContract('notify.requested', NotifyRequestedV1Schema);
