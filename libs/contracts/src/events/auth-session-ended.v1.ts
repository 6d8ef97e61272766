import { z } from 'zod';
import { AorSchema, DeviceIdSchema, SessionCarrierSchema, defineTopicContract, openEnum } from './common';
import { eventBase } from './event-contract';

export const AUTH_SESSION_ENDED_V1 = 'auth.session-ended.v1';

export const SessionEndedV1Schema = eventBase('auth.session-ended', 1).extend({
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  carrier: SessionCarrierSchema,
  /** Open: the session is over whatever the reason, so a consumer acts on an unknown one as on any end. */
  reason: openEnum(
    ['logout', 'expired', 'unregistered'],
    'the session ended for another reason; act on it as on any end',
  ),
});
export type SessionEndedV1 = z.infer<typeof SessionEndedV1Schema>;

export const sessionEndedV1 = defineTopicContract({
  topic: AUTH_SESSION_ENDED_V1,
  schema: SessionEndedV1Schema,
  version: 1,
  type: 'auth.session-ended',
  key: (event) => event.aor,
});
