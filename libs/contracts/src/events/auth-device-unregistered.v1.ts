import { z } from 'zod';
import { AorSchema, DeviceIdSchema, defineTopicContract } from './common';
import { eventBase } from './event-contract';

export const AUTH_DEVICE_UNREGISTERED_V1 = 'auth.device-unregistered.v1';

export const DeviceUnregisteredV1Schema = eventBase('auth.device-unregistered', 1).extend({
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  /**
   * `account-deleted`, `account-disabled` and `superseded` (another device registered over UDP from
   * the binding's source address and port) were added later (additive: no consumer reads reasons).
   */
  reason: z.enum(['unregister', 'expired', 'edge-lost', 'account-deleted', 'account-disabled', 'superseded']),
});
export type DeviceUnregisteredV1 = z.infer<typeof DeviceUnregisteredV1Schema>;

export const deviceUnregisteredV1 = defineTopicContract({
  topic: AUTH_DEVICE_UNREGISTERED_V1,
  schema: DeviceUnregisteredV1Schema,
  version: 1,
  type: 'auth.device-unregistered',
  key: (event) => event.aor,
});
