import { z } from 'zod';
import {
  AorSchema,
  DeviceIdSchema,
  EdgeIdSchema,
  OriginSchema,
  SipStatusSchema,
  defineTopicContract,
} from './common';
import { eventBase } from './event-contract';

export const SIP_PUSH_OUTCOME_V1 = 'sip.push-outcome.v1';

export const PushOutcomeV1Schema = eventBase('sip.push-outcome', 1).extend({
  pushId: z.string().min(1),
  origin: OriginSchema,
  /** The target AOR. */
  aor: AorSchema,
  deviceId: DeviceIdSchema,
  edgeId: EdgeIdSchema,
  outcome: z.enum(['answered', 'failed', 'timed-out', 'no-flow']),
  /** Final SIP status for `answered` and `failed`. */
  status: SipStatusSchema.optional(),
  /** For a NOTIFY (notify.requested): the subscription it belongs to. */
  subscriptionId: z.string().min(1).max(64).optional(),
});
export type PushOutcomeV1 = z.infer<typeof PushOutcomeV1Schema>;

export const pushOutcomeV1 = defineTopicContract({
  topic: SIP_PUSH_OUTCOME_V1,
  schema: PushOutcomeV1Schema,
  version: 1,
  type: 'sip.push-outcome',
  key: (event) => event.aor,
});
