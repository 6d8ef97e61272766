import { z } from 'zod';
import { NoteSchema, VisibleStatusSchema } from '../client/fields';
import { AorSchema, defineTopicContract } from './common';
import { eventBase } from './event-contract';

export const PRESENCE_STATUS_CHANGED_V1 = 'presence.status-changed.v1';

/** The aggregate status others see changed; `at` is when. */
export const StatusChangedV1Schema = eventBase('presence.status-changed', 1).extend({
  aor: AorSchema,
  status: VisibleStatusSchema,
  note: NoteSchema.optional(),
});
export type StatusChangedV1 = z.infer<typeof StatusChangedV1Schema>;

export const statusChangedV1 = defineTopicContract({
  topic: PRESENCE_STATUS_CHANGED_V1,
  schema: StatusChangedV1Schema,
  version: 1,
  type: 'presence.status-changed',
  key: (event) => event.aor,
});
