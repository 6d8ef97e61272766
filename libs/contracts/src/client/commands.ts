import { z } from 'zod';
import { EnvelopeSchema } from './envelope';
import { AorUriSchema, DeviceStatusSchema, LIMITS, NameSchema, NoteSchema, SettingsSchema } from './fields';

function command<T extends string, F extends z.ZodRawShape>(type: T, fields: F) {
  return EnvelopeSchema.extend({ type: z.literal(type), ...fields });
}

export const LoginCommandSchema = command('login', {
  status: DeviceStatusSchema.default('online'),
  note: NoteSchema.optional(),
  device: z
    .object({ name: NameSchema.optional(), agent: z.string().max(LIMITS.uriLength).optional() })
    .optional(),
});
// `status` is accepted and ignored (protocol.md §4): logout always takes the device offline.
export const LogoutCommandSchema = command('logout', {});
export const RosterGetCommandSchema = command('roster.get', {});
export const RosterAddCommandSchema = command('roster.add', {
  uri: AorUriSchema,
  name: NameSchema.optional(),
  group: NameSchema.optional(),
});
export const BuddyAnswerCommandSchema = command('buddy.answer', { from: AorUriSchema, accept: z.boolean() });
export const RosterUpdateCommandSchema = command('roster.update', {
  uri: AorUriSchema,
  name: NameSchema.optional(),
  group: NameSchema.optional(),
});
export const RosterRemoveCommandSchema = command('roster.remove', { uri: AorUriSchema });
export const PresenceSetCommandSchema = command('presence.set', {
  status: DeviceStatusSchema,
  note: NoteSchema.optional(),
});
export const ImSendCommandSchema = command('im.send', {
  to: AorUriSchema,
  text: z.string().min(1).max(LIMITS.textLength),
  messageId: z.string().min(1).max(LIMITS.idLength).optional(),
});
export const ProfileGetCommandSchema = command('profile.get', {});
export const ProfileSetCommandSchema = command('profile.set', {
  displayName: NameSchema.optional(),
  settings: SettingsSchema.optional(),
});

/** Every command type with its schema; the keys are the wire `type` values. */
export const COMMAND_SCHEMAS = {
  login: LoginCommandSchema,
  logout: LogoutCommandSchema,
  'roster.get': RosterGetCommandSchema,
  'roster.add': RosterAddCommandSchema,
  'buddy.answer': BuddyAnswerCommandSchema,
  'roster.update': RosterUpdateCommandSchema,
  'roster.remove': RosterRemoveCommandSchema,
  'presence.set': PresenceSetCommandSchema,
  'im.send': ImSendCommandSchema,
  'profile.get': ProfileGetCommandSchema,
  'profile.set': ProfileSetCommandSchema,
} as const;

export type CommandType = keyof typeof COMMAND_SCHEMAS;
export const COMMAND_TYPES = Object.keys(COMMAND_SCHEMAS) as CommandType[];

/** The parsed command of each type, e.g. `CommandOf<'im.send'>`. */
export type CommandOf<T extends CommandType> = z.infer<(typeof COMMAND_SCHEMAS)[T]>;
/** Any parsed command, discriminated by `type`. */
export type Command = { [T in CommandType]: CommandOf<T> }[CommandType];

export function isCommandType(type: string): type is CommandType {
  return Object.hasOwn(COMMAND_SCHEMAS, type);
}
