import { z } from 'zod';
import { LIMITS } from './wire-constants';

export { LIMITS } from './wire-constants';

/** The form of an AOR: a `sip:` / `sips:` URI with a user part (`sip:alice@herald.example`). */
const AOR_URI_PATTERN = /^sips?:[^@\s;?]+@[^@\s;?]+$/i;

/** A `sip:` / `sips:` URI with a user part, as used for AORs (`sip:alice@herald.example`). */
export const AorUriSchema = z
  .string()
  .max(LIMITS.uriLength)
  .regex(AOR_URI_PATTERN, { error: 'must be a sip:user@domain URI' });

/** AorUriSchema's check without zod, for producers that build events without validating them. */
export function isAorUri(text: string): boolean {
  return text.length <= LIMITS.uriLength && AOR_URI_PATTERN.test(text);
}

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

const utf8 = new TextEncoder();

/**
 * Personal settings: any JSON object whose serialization fits in 4 KiB (UTF-8 bytes). Measured
 * with TextEncoder, not Buffer, so that browser clients (libs/client) can share these files.
 */
export const SettingsSchema = z
  .record(z.string(), z.unknown())
  .refine((settings) => utf8.encode(JSON.stringify(settings)).length <= LIMITS.settingsBytes, {
    error: `must serialize to at most ${LIMITS.settingsBytes} bytes`,
    params: { tooLarge: true },
  });
