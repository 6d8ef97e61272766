import { z } from 'zod';
import type { CommandType } from './commands';
import { PROTOCOL_VERSION } from './envelope';
import { type ErrorCode, ERROR_CODES } from './errors';
import {
  AorUriSchema,
  LIMITS,
  NameSchema,
  NoteSchema,
  SettingsSchema,
  TimestampSchema,
  VisibleStatusSchema,
} from './fields';

/**
 * Pushes of protocol.md §5. A push body is built without `v` and `id`: the PushGateway stamps
 * them (`id` = the pushId) when it sends one copy per device.
 */

export const ProfileSchema = z.object({
  displayName: NameSchema.optional(),
  settings: z.record(z.string(), z.unknown()),
});
export type Profile = z.infer<typeof ProfileSchema>;

export const ResultErrorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });

export const RosterBuddySchema = z.object({
  uri: AorUriSchema,
  name: NameSchema.optional(),
  group: NameSchema.optional(),
  state: z.enum(['both', 'pending-out', 'pending-in']),
  status: VisibleStatusSchema,
  note: NoteSchema.optional(),
});
export type RosterBuddy = z.infer<typeof RosterBuddySchema>;

export const RosterPushSchema = z.object({ type: z.literal('roster'), buddies: z.array(RosterBuddySchema) });
export const PresencePushSchema = z.object({
  type: z.literal('presence'),
  uri: AorUriSchema,
  status: VisibleStatusSchema,
  note: NoteSchema.optional(),
  at: TimestampSchema,
});
export const BuddyRequestPushSchema = z.object({
  type: z.literal('buddy.request'),
  from: AorUriSchema,
  name: NameSchema.optional(),
});
export const ImPushSchema = z.object({
  type: z.literal('im'),
  messageId: z.string().min(1).max(LIMITS.idLength),
  from: AorUriSchema,
  text: z.string().max(LIMITS.textLength),
  sentAt: TimestampSchema,
  offline: z.boolean(),
});
export const ImStatusPushSchema = z.object({
  type: z.literal('im.status'),
  messageId: z.string().min(1).max(LIMITS.idLength),
  state: z.enum(['delivered', 'stored', 'failed']),
  error: ResultErrorSchema.optional(),
});
export const ProfilePushSchema = z.object({
  type: z.literal('profile'),
  displayName: NameSchema.optional(),
  settings: SettingsSchema,
});
/** `<command>.result`; command-specific fields are kept (loose). */
export const ResultPushSchema = z.looseObject({
  type: z.string().regex(/\.result$/),
  re: z.string().min(1).max(LIMITS.idLength),
  ok: z.boolean(),
  error: ResultErrorSchema.optional(),
});

export type RosterPush = z.infer<typeof RosterPushSchema>;
export type PresencePush = z.infer<typeof PresencePushSchema>;
export type BuddyRequestPush = z.infer<typeof BuddyRequestPushSchema>;
export type ImPush = z.infer<typeof ImPushSchema>;
export type ImStatusPush = z.infer<typeof ImStatusPushSchema>;
export type ProfilePush = z.infer<typeof ProfilePushSchema>;
export type ResultPush = z.infer<typeof ResultPushSchema>;

/** Any push body, before the gateway stamps `v` and `id`. */
export type PushBody =
  RosterPush | PresencePush | BuddyRequestPush | ImPush | ImStatusPush | ProfilePush | ResultPush;

/** A push as it goes on the wire. */
export type PushEnvelope = PushBody & { v: typeof PROTOCOL_VERSION; id: string };

/** Command-specific fields of a successful result; types not listed carry none. */
export interface ResultFields {
  login: { user: string; profile: Profile };
  'im.send': { messageId: string };
}
type FieldsOf<T extends CommandType> = T extends keyof ResultFields ? ResultFields[T] : Record<never, never>;

/** `{type: "<command>.result", re, ok: true, ...fields}`. */
export function okResult<T extends CommandType>(
  type: T,
  re: string,
  ...fields: OptionalIfEmpty<FieldsOf<T>>
): ResultPush {
  return { ...(fields[0] ?? {}), type: `${type}.result`, re, ok: true };
}
type OptionalIfEmpty<F> = keyof F extends never ? [fields?: F] : [fields: F];

/**
 * `{type: "<type>.result", re, ok: false, error}`. `type` is a string because unknown types
 * are answered too (`unknown-type`). im.send failures may add `messageId` through `fields`.
 */
export function errorResult(
  type: string,
  re: string,
  code: ErrorCode,
  message: string,
  fields: Record<string, unknown> = {},
): ResultPush {
  return { ...fields, type: `${type}.result`, re, ok: false, error: { code, message } };
}

export function rosterPush(buddies: RosterBuddy[]): RosterPush {
  return { type: 'roster', buddies };
}
export function presencePush(fields: Omit<PresencePush, 'type'>): PresencePush {
  return { type: 'presence', ...fields };
}
export function buddyRequestPush(fields: Omit<BuddyRequestPush, 'type'>): BuddyRequestPush {
  return { type: 'buddy.request', ...fields };
}
export function imPush(fields: Omit<ImPush, 'type'>): ImPush {
  return { type: 'im', ...fields };
}
export function imStatusPush(fields: Omit<ImStatusPush, 'type'>): ImStatusPush {
  return { type: 'im.status', ...fields };
}
export function profilePush(profile: Profile): ProfilePush {
  return { type: 'profile', ...profile };
}

/** Stamps `v` and `id` and serializes: the SIP body of one push (Content-Type ENVELOPE_CONTENT_TYPE). */
export function serializePush(push: PushBody, id: string): string {
  const envelope: PushEnvelope = { v: PROTOCOL_VERSION, id, ...push };
  return JSON.stringify(envelope);
}

/** Parses a push body as a client receives it (for test clients and tools). */
export const PushEnvelopeSchema = z
  .union([
    RosterPushSchema,
    PresencePushSchema,
    BuddyRequestPushSchema,
    ImPushSchema,
    ImStatusPushSchema,
    ProfilePushSchema,
    ResultPushSchema,
  ])
  .and(z.object({ v: z.literal(PROTOCOL_VERSION), id: z.string().min(1).max(LIMITS.idLength) }));
