import { z } from 'zod';
import { AorSchema, DeviceIdSchema, defineTopicContract, openEnum } from './common';
import { eventBase } from './event-contract';

export const AUTH_DEVICE_UNREGISTERED_V1 = 'auth.device-unregistered.v1';

export const DeviceUnregisteredV1Schema = eventBase('auth.device-unregistered', 1).extend({
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  /**
   * `account-deleted`, `account-disabled` and `superseded` (another device registered over UDP from
   * the binding's source address and port) were added later. Open: the binding is gone whatever
   * the reason, so a consumer acts on a reason it does not know as on any other removal.
   */
  reason: openEnum(
    ['unregister', 'expired', 'edge-lost', 'account-deleted', 'account-disabled', 'superseded'],
    'the binding was removed for another reason; act on it as on any removal',
  ),
});
export type DeviceUnregisteredV1 = z.infer<typeof DeviceUnregisteredV1Schema>;

export const deviceUnregisteredV1 = defineTopicContract({
  topic: AUTH_DEVICE_UNREGISTERED_V1,
  schema: DeviceUnregisteredV1Schema,
  version: 1,
  type: 'auth.device-unregistered',
  key: (event) => event.aor,
});
