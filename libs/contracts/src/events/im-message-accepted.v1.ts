import { z } from 'zod';
import { LIMITS, TimestampSchema } from '../client/fields';
import { AorSchema, defineTopicContract } from './common';
import { eventBase } from './event-contract';

export const IM_MESSAGE_ACCEPTED_V1 = 'im.message-accepted.v1';

export const MessageAcceptedV1Schema = eventBase('im.message-accepted', 1).extend({
  messageId: z.string().min(1).max(LIMITS.idLength),
  from: AorSchema,
  /** Recipient AOR: the partition key. */
  to: AorSchema,
  text: z.string().max(LIMITS.textLength),
  sentAt: TimestampSchema,
});
export type MessageAcceptedV1 = z.infer<typeof MessageAcceptedV1Schema>;

export const messageAcceptedV1 = defineTopicContract({
  topic: IM_MESSAGE_ACCEPTED_V1,
  schema: MessageAcceptedV1Schema,
  version: 1,
  type: 'im.message-accepted',
  key: (event) => event.to,
});
