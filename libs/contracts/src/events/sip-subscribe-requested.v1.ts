import { z } from 'zod';
import {
  AorSchema,
  ContactUriSchema,
  DeviceIdSchema,
  EdgeIdSchema,
  FlowIdSchema,
  TransportSchema,
  defineTopicContract,
} from './common';
import { TimestampSchema } from '../client/fields';
import { eventBase } from './event-contract';

export const SIP_SUBSCRIBE_REQUESTED_V1 = 'sip.subscribe-requested.v1';

/** A SIP tag (RFC 3261 §19.3): a token. */
export const SipTagSchema = z.string().min(1).max(128);

/**
 * The dialog fields of a subscription (RFC 6665 §4.1.2 / §4.2.1) as the notifier keeps them:
 * everything a later in-dialog NOTIFY needs, whichever edge sends it.
 */
export const SubscriptionDialogSchema = z.object({
  callId: z.string().min(1).max(256),
  /** The subscriber's tag (From of its SUBSCRIBE; To of our NOTIFYs). */
  subscriberTag: SipTagSchema,
  /** Herald's tag (To of the 2xx; From of our NOTIFYs). */
  notifierTag: SipTagSchema,
  /** The subscriber's Contact: Request-URI of our NOTIFYs (RFC 3261 §12.1.1). */
  contact: ContactUriSchema,
  /** Record-Route of the SUBSCRIBE in order, each `<uri>`: our NOTIFYs' Route headers (§12.1.1). */
  routeSet: z.array(z.string().min(1).max(1024)).max(16),
  /** The `id` parameter of the Event header (RFC 6665 §8.2.1), when the subscriber gave one. */
  eventId: z.string().min(1).max(128).optional(),
});
export type SubscriptionDialog = z.infer<typeof SubscriptionDialogSchema>;

/**
 * A SUBSCRIBE with `Event: presence` (protocol.md §7) from a registered flow: an initial one
 * (`initial`, the edge chose `notifierTag`) or an in-dialog refresh or unsubscribe (expires 0).
 * Presence decides (subscribe.decided) and sends the NOTIFYs (notify.requested).
 */
export const SubscribeRequestedV1Schema = eventBase('sip.subscribe-requested', 1).extend({
  edgeId: EdgeIdSchema,
  /** Server transaction key: subscribe.decided names it. */
  txKey: z.string().min(1),
  flowId: FlowIdSchema,
  transport: TransportSchema,
  /** The subscriber (From, the AOR registered on the flow). */
  aor: AorSchema,
  /** The subscribing device (registered on the flow). */
  deviceId: DeviceIdSchema,
  /** The presentity: the Request-URI's AOR. */
  target: AorSchema,
  initial: z.boolean(),
  dialog: SubscriptionDialogSchema,
  /** The subscriber's CSeq: a refresh must come with a higher one (RFC 3261 §12.2.2). */
  cseq: z.number().int().min(0),
  /** Requested duration in seconds; 0 unsubscribes. */
  expires: z.number().int().min(0),
  /** When the edge stops waiting for the decision: presence skips the request after that. */
  deadline: TimestampSchema,
});
export type SubscribeRequestedV1 = z.infer<typeof SubscribeRequestedV1Schema>;

export const subscribeRequestedV1 = defineTopicContract({
  topic: SIP_SUBSCRIBE_REQUESTED_V1,
  schema: SubscribeRequestedV1Schema,
  version: 1,
  type: 'sip.subscribe-requested',
  key: (event) => event.aor,
});
