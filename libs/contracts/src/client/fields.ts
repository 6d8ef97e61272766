import { z } from 'zod';

/** Limits of protocol.md §3–4 (and careful defaults where it is silent). */
export const LIMITS = {
  idLength: 64,
  noteLength: 256,
  textLength: 4096,
  settingsBytes: 4096,
  nameLength: 128,
  uriLength: 256,
} as const;

/** A `sip:` / `sips:` URI with a user part, as used for AORs (`sip:alice@herald.example`). */
export const AorUriSchema = z
  .string()
  .max(LIMITS.uriLength)
  .regex(/^sips?:[^@\s;?]+@[^@\s;?]+$/i, { error: 'must be a sip:user@domain URI' });

/** Statuses a device may set (protocol.md §4 presence.set). */
export const DeviceStatusSchema = z.enum(['online', 'away', 'busy', 'invisible']);
export type DeviceStatus = z.infer<typeof DeviceStatusSchema>;

/** Statuses others see (protocol.md §5 presence): invisible shows as offline. */
export const VisibleStatusSchema = z.enum(['online', 'away', 'busy', 'offline']);
export type VisibleStatus = z.infer<typeof VisibleStatusSchema>;

export const NoteSchema = z.string().max(LIMITS.noteLength);
export const NameSchema = z.string().max(LIMITS.nameLength);

/** RFC 3339 timestamp with offset, e.g. `2026-01-02T03:04:05.678Z`. */
export const TimestampSchema = z.iso.datetime({ offset: true });

/** Personal settings: any JSON object whose serialization fits in 4 KiB (UTF-8 bytes). */
export const SettingsSchema = z
  .record(z.string(), z.unknown())
  .refine((settings) => Buffer.byteLength(JSON.stringify(settings), 'utf8') <= LIMITS.settingsBytes, {
    error: `must serialize to at most ${LIMITS.settingsBytes} bytes`,
    params: { tooLarge: true },
  });
