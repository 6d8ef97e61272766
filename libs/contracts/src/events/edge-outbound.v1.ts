import { z } from 'zod';
import {
  AorSchema,
  ContactParamsSchema,
  ContactUriSchema,
  DeviceIdSchema,
  FlowIdSchema,
  OriginSchema,
  SessionCarrierSchema,
} from './common';
import {
  type NotifyRequestedV1,
  NotifyRequestedV1Schema,
  SubscribeDecidedV1Schema,
} from './subscription-outbound.v1';
import { EntityTagSchema } from './sip-publish-requested.v1';
import {
  type EncodedRecord,
  defineAorKeyedEventContract,
  defineEventContract,
  eventBase,
} from './event-contract';
import { TimestampSchema } from '../client/fields';

/** Each edge consumes its own outbound topic (group `herald-edge-<edgeId>`). */
export function edgeOutboundTopic(edgeId: string): string {
  return `${EDGE_OUTBOUND_PREFIX}${edgeId}${EDGE_OUTBOUND_SUFFIX}`;
}
/** The topic pattern, for docs and the TOPICS registry. */
export const EDGE_OUTBOUND_V1_PATTERN = 'edge.{edgeId}.outbound.v1';
const [EDGE_OUTBOUND_PREFIX, EDGE_OUTBOUND_SUFFIX] = EDGE_OUTBOUND_V1_PATTERN.split('{edgeId}') as [
  string,
  string,
];
/** Kafka's longest topic name. */
const KAFKA_TOPIC_MAX_LENGTH = 249;
/** The longest edge id whose outbound topic Kafka accepts. */
export const EDGE_ID_MAX_LENGTH =
  KAFKA_TOPIC_MAX_LENGTH - EDGE_OUTBOUND_V1_PATTERN.length + '{edgeId}'.length;
/**
 * An edge's id names its outbound topic, so it takes only what a Kafka topic name takes (dots
 * included: a host name's default may be fully qualified).
 */
export const EdgeIdSettingSchema = z
  .string()
  .min(1)
  .max(EDGE_ID_MAX_LENGTH)
  .regex(
    /^[A-Za-z0-9._-]+$/,
    'an edge id takes only letters, digits, ".", "_" and "-" (it names a Kafka topic)',
  );

/** `edge.<edgeId>.outbound.v1` -> edgeId; undefined for any other topic. The one parser of that name. */
export function edgeIdOfOutboundTopic(topic: string): string | undefined {
  if (
    topic.length <= EDGE_OUTBOUND_PREFIX.length + EDGE_OUTBOUND_SUFFIX.length ||
    !topic.startsWith(EDGE_OUTBOUND_PREFIX) ||
    !topic.endsWith(EDGE_OUTBOUND_SUFFIX)
  ) {
    return undefined;
  }
  return topic.slice(EDGE_OUTBOUND_PREFIX.length, topic.length - EDGE_OUTBOUND_SUFFIX.length);
}

/** Send one request to a device over its flow, then report a sip.push-outcome unless `outcomeWanted` is false. */
export const PushRequestedV1Schema = eventBase('push.requested', 1).extend({
  pushId: z.string().min(1),
  origin: OriginSchema,
  /** Target AOR (the request's To). */
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  flowId: FlowIdSchema,
  /** Request-URI: the registered Contact. */
  contact: ContactUriSchema,
  method: SessionCarrierSchema,
  contentType: z.string().min(1),
  body: z.string(),
  /** For a text/plain MESSAGE to a plain SIP device: the sender AOR as From. */
  fromUri: AorSchema.optional(),
  /**
   * For the `im` push of an IM delivered live (not from the offline store): its `sentAt`, so the
   * edge times the delivery (herald_im_delivery_latency_seconds) without parsing the body.
   */
  liveImSentAt: TimestampSchema.optional(),
  /**
   * `false`: the origin acts on no outcome of this push (a command's result, a status or presence
   * push), so the edge reports none. Absent (producers of earlier releases) or `true`: reported.
   */
  outcomeWanted: z.boolean().optional(),
});
export type PushRequestedV1 = z.infer<typeof PushRequestedV1Schema>;

/**
 * Whether the edge reports what became of a push or NOTIFY: always for a NOTIFY (presence ends
 * the subscription of one that failed), for a push unless its origin said it acts on none.
 */
export function isOutcomeWanted(push: PushRequestedV1 | NotifyRequestedV1): boolean {
  return push.type === 'notify.requested' || push.outcomeWanted !== false;
}

/** The final response for a pending REGISTER server transaction. */
export const RegisterDecidedV1Schema = eventBase('register.decided', 1).extend({
  txKey: z.string().min(1),
  aor: AorSchema,
  status: z.union([
    z.literal(200),
    z.literal(401),
    z.literal(403),
    z.literal(423),
    z.literal(500),
    z.literal(503),
  ]),
  reason: z.string().optional(),
  /** All current bindings of the AOR (200 OK lists them, each with the parameters it was registered with). */
  contacts: z.array(
    z.object({
      uri: ContactUriSchema,
      expires: z.number().int().min(0),
      params: ContactParamsSchema.optional(),
    }),
  ),
  /** With 423 Interval Too Brief. */
  minExpires: z.number().int().min(0).optional(),
});
export type RegisterDecidedV1 = z.infer<typeof RegisterDecidedV1Schema>;

/** The final response for a pending PUBLISH server transaction (RFC 3903 §6). */
export const PublishDecidedV1Schema = eventBase('publish.decided', 1).extend({
  txKey: z.string().min(1),
  aor: AorSchema,
  status: z.union([z.literal(200), z.literal(403), z.literal(412), z.literal(500)]),
  reason: z.string().optional(),
  /** With 200 for a publication that lives on: its new entity-tag (SIP-ETag). */
  etag: EntityTagSchema.optional(),
  /** With 200: the seconds granted (Expires); 0 after a removal. */
  expires: z.number().int().min(0).optional(),
});
export type PublishDecidedV1 = z.infer<typeof PublishDecidedV1Schema>;

export const EdgeOutboundV1Schema = z.discriminatedUnion('type', [
  PushRequestedV1Schema,
  RegisterDecidedV1Schema,
  PublishDecidedV1Schema,
  SubscribeDecidedV1Schema,
  NotifyRequestedV1Schema,
]);
export type EdgeOutboundV1 = z.infer<typeof EdgeOutboundV1Schema>;

export const edgeOutboundV1 = defineEventContract({
  name: EDGE_OUTBOUND_V1_PATTERN,
  schema: EdgeOutboundV1Schema,
  version: 1,
  key: (event) => event.aor,
});

/** Encodes and keys an outbound event for the edge `edgeId`. */
export function edgeOutboundRecord(edgeId: string, event: EdgeOutboundV1): EncodedRecord {
  return {
    topic: edgeOutboundTopic(edgeId),
    key: edgeOutboundV1.key(event),
    value: edgeOutboundV1.encode(event),
  };
}

/** Each outbound event type on its own, for `build` (then `edgeOutboundRecord`). */
export const pushRequestedV1 = defineAorKeyedEventContract('push.requested', PushRequestedV1Schema);
export const registerDecidedV1 = defineAorKeyedEventContract('register.decided', RegisterDecidedV1Schema);
export const publishDecidedV1 = defineAorKeyedEventContract('publish.decided', PublishDecidedV1Schema);
