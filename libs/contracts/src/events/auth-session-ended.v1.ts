import { z } from 'zod';
import { AorSchema, DeviceIdSchema, SessionCarrierSchema, defineTopicContract } from './common';
import { eventBase } from './event-contract';

export const AUTH_SESSION_ENDED_V1 = 'auth.session-ended.v1';

export const SessionEndedV1Schema = eventBase('auth.session-ended', 1).extend({
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  carrier: SessionCarrierSchema,
  reason: z.enum(['logout', 'expired', 'unregistered']),
});
export type SessionEndedV1 = z.infer<typeof SessionEndedV1Schema>;

export const sessionEndedV1 = defineTopicContract({
  topic: AUTH_SESSION_ENDED_V1,
  schema: SessionEndedV1Schema,
  version: 1,
  type: 'auth.session-ended',
  key: (event) => event.aor,
});
