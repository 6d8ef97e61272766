import { z } from 'zod';
import { NoteSchema, TimestampSchema } from '../client/fields';
import { AorSchema, DeviceIdSchema, EdgeIdSchema, FlowIdSchema, defineTopicContract } from './common';
import { eventBase } from './event-contract';

export const SIP_PUBLISH_REQUESTED_V1 = 'sip.publish-requested.v1';

/** An entity-tag (RFC 3903 §4.1): opaque token Herald made for one publication. */
export const EntityTagSchema = z.string().min(1).max(64);

/** What a PIDF body (RFC 3863) said: `basic` open or closed, and the note when present. */
export const PublishedStateSchema = z.object({
  basic: z.enum(['open', 'closed']),
  note: NoteSchema.optional(),
});
export type PublishedState = z.infer<typeof PublishedStateSchema>;

/**
 * A presence PUBLISH (RFC 3903, protocol.md §7) from a registered flow, checked by the edge (Event,
 * Content-Type, Expires, PIDF). Initial: `state` without `ifMatch`; refresh: `ifMatch` without
 * `state`; modify: both; remove: `ifMatch` with `expires` 0. Presence answers with publish.decided.
 */
export const PublishRequestedV1Schema = eventBase('sip.publish-requested', 1).extend({
  edgeId: EdgeIdSchema,
  /** Server transaction key: publish.decided names it so the edge can answer. */
  txKey: z.string().min(1),
  flowId: FlowIdSchema,
  /** The publisher: the AOR registered on the flow, also the presentity (Request-URI). */
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  callId: z.string().min(1),
  /** SIP-If-Match: the publication this request refreshes, modifies or removes. */
  ifMatch: EntityTagSchema.optional(),
  /** Seconds the publication lasts (already within the edge's bounds); 0 removes it. */
  expires: z.number().int().min(0),
  state: PublishedStateSchema.optional(),
  /** When the edge stops waiting for publish.decided (it answered 503 by then). */
  deadline: TimestampSchema,
});
export type PublishRequestedV1 = z.infer<typeof PublishRequestedV1Schema>;

export const publishRequestedV1 = defineTopicContract({
  topic: SIP_PUBLISH_REQUESTED_V1,
  schema: PublishRequestedV1Schema,
  version: 1,
  type: 'sip.publish-requested',
  key: (event) => event.aor,
});
