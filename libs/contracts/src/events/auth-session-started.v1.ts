import { z } from 'zod';
import { DeviceStatusSchema, NoteSchema } from '../client/fields';
import { AorSchema, DeviceIdSchema, SessionCarrierSchema, defineTopicContract } from './common';
import { eventBase } from './event-contract';

export const AUTH_SESSION_STARTED_V1 = 'auth.session-started.v1';

export const SessionStartedV1Schema = eventBase('auth.session-started', 1).extend({
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  carrier: SessionCarrierSchema,
  status: DeviceStatusSchema,
  note: NoteSchema.optional(),
});
export type SessionStartedV1 = z.infer<typeof SessionStartedV1Schema>;

export const sessionStartedV1 = defineTopicContract({
  topic: AUTH_SESSION_STARTED_V1,
  schema: SessionStartedV1Schema,
  version: 1,
  type: 'auth.session-started',
  key: (event) => event.aor,
});
