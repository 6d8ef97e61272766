import { z } from 'zod';
import {
  AorSchema,
  ContactParamsSchema,
  ContactUriSchema,
  DeviceIdSchema,
  EdgeIdSchema,
  FlowIdSchema,
  TransportSchema,
  defineTopicContract,
} from './common';
import { TimestampSchema } from '../client/fields';
import { eventBase } from './event-contract';

export const SIP_REGISTER_REQUESTED_V1 = 'sip.register-requested.v1';

/** Digest `Authorization` fields (RFC 7616), already checked by the edge for form, freshness, replay. */
export const DigestCredentialsSchema = z.object({
  username: z.string().min(1),
  realm: z.string().min(1),
  nonce: z.string().min(1),
  uri: z.string().min(1),
  response: z.string().min(1),
  algorithm: z.enum(['MD5', 'SHA-256']),
  qop: z.literal('auth'),
  nc: z.string().regex(/^[0-9a-f]{8}$/i),
  cnonce: z.string().min(1),
  opaque: z.string().optional(),
});
export type DigestCredentials = z.infer<typeof DigestCredentialsSchema>;

export const RegisterRequestedV1Schema = eventBase('sip.register-requested', 1).extend({
  edgeId: EdgeIdSchema,
  /** Server transaction key: register.decided names it so the edge can answer. */
  txKey: z.string().min(1),
  flowId: FlowIdSchema,
  transport: TransportSchema,
  source: z.object({ address: z.string().min(1), port: z.number().int().min(1).max(65535) }),
  /** The To URI: the AOR being registered. */
  aor: AorSchema,
  callId: z.string().min(1),
  cseq: z.number().int().min(0),
  method: z.literal('REGISTER'),
  /** Each Contact with its effective expiry (contact param, else Expires header, else default). */
  contacts: z.array(
    z.object({
      uri: ContactUriSchema,
      expires: z.number().int().min(0),
      /** The `+sip.instance`: it becomes the device id, so it has the device id's bounds. */
      instanceId: DeviceIdSchema.optional(),
      /** Its other header parameters (+sip.instance, reg-id, …); optional: older edges send none. */
      params: ContactParamsSchema.optional(),
    }),
  ),
  /** `Contact: *` (remove all bindings; only valid with expires 0). */
  star: z.boolean(),
  /** The Expires header value, or the configured default when absent. */
  expires: z.number().int().min(0),
  digest: DigestCredentialsSchema,
  /**
   * When the edge stops waiting for register.decided (it answered 503 by then): auth applies no
   * REGISTER after it. Optional: events from edges that predate it carry none.
   */
  deadline: TimestampSchema.optional(),
});
export type RegisterRequestedV1 = z.infer<typeof RegisterRequestedV1Schema>;

export const registerRequestedV1 = defineTopicContract({
  topic: SIP_REGISTER_REQUESTED_V1,
  schema: RegisterRequestedV1Schema,
  version: 1,
  type: 'sip.register-requested',
  key: (event) => event.aor,
});
