import { z } from 'zod';
import { TimestampSchema } from '../client/fields';
import {
  AorSchema,
  ContactUriSchema,
  DeviceIdSchema,
  EdgeIdSchema,
  FlowIdSchema,
  TRANSPORTS,
  defineTopicContract,
  openEnum,
} from './common';
import { eventBase } from './event-contract';

export const AUTH_DEVICE_REGISTERED_V1 = 'auth.device-registered.v1';

export const DeviceRegisteredV1Schema = eventBase('auth.device-registered', 1).extend({
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  contact: ContactUriSchema,
  edgeId: EdgeIdSchema,
  flowId: FlowIdSchema,
  /** Open: no consumer sends over it (pushes go through `edgeId` and `flowId`), so one it does not know is just a name. */
  transport: openEnum(TRANSPORTS, 'another transport the edges accept; only informative'),
  expiresAt: TimestampSchema,
  /**
   * Always true now: only a new binding is announced (a refresh changes nothing its consumers act
   * on). Kept so that v1 consumers that skip `created: false` keep working.
   */
  created: z.boolean(),
});
export type DeviceRegisteredV1 = z.infer<typeof DeviceRegisteredV1Schema>;

export const deviceRegisteredV1 = defineTopicContract({
  topic: AUTH_DEVICE_REGISTERED_V1,
  schema: DeviceRegisteredV1Schema,
  version: 1,
  type: 'auth.device-registered',
  key: (event) => event.aor,
});
