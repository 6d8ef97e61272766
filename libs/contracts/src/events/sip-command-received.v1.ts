import { z } from 'zod';
import { EnvelopeSchema } from '../client/envelope';
import { TimestampSchema } from '../client/fields';
import {
  AorSchema,
  CommandCarrierSchema,
  ContactUriSchema,
  DeviceIdSchema,
  EdgeIdSchema,
  FlowIdSchema,
  defineTopicContract,
} from './common';
import { eventBase } from './event-contract';

export const SIP_COMMAND_RECEIVED_V1 = 'sip.command-received.v1';

export const CommandReceivedV1Schema = eventBase('sip.command-received', 1).extend({
  edgeId: EdgeIdSchema,
  flowId: FlowIdSchema,
  deviceId: DeviceIdSchema,
  contact: ContactUriSchema,
  /** The AOR registered on the flow (the sender). */
  aor: AorSchema,
  carrier: CommandCarrierSchema,
  callId: z.string().min(1),
  receivedAt: TimestampSchema,
  /** The validated envelope, unknown fields kept; services parse it with parseCommandObject. */
  envelope: EnvelopeSchema,
});
export type CommandReceivedV1 = z.infer<typeof CommandReceivedV1Schema>;

export const commandReceivedV1 = defineTopicContract({
  topic: SIP_COMMAND_RECEIVED_V1,
  schema: CommandReceivedV1Schema,
  version: 1,
  type: 'sip.command-received',
  key: (event) => event.aor,
});
