import { z } from 'zod';
import { LIMITS, PROTOCOL_VERSION } from './wire-constants';

export { ENVELOPE_CONTENT_TYPE, PROTOCOL_VERSION } from './wire-constants';

/** The media type of a plain SIP device's IM (protocol.md §7): a MESSAGE whose body is the text. */
export const PLAIN_TEXT_MEDIA_TYPE = 'text/plain';
/** The Content-Type of the IMs Herald sends a plain SIP device: the text, in UTF-8 and saying so. */
export const PLAIN_TEXT_CONTENT_TYPE = `${PLAIN_TEXT_MEDIA_TYPE};charset=utf-8`;

/**
 * The envelope of protocol.md §3. Unknown fields are kept (loose object) so a command can be
 * forwarded on the bus unchanged and parsed by the service that owns its type.
 */
export const EnvelopeSchema = z.looseObject({
  v: z.literal(PROTOCOL_VERSION, { error: `v must be ${PROTOCOL_VERSION}` }),
  id: z
    .string({ error: 'id must be a string' })
    .min(1, { error: `id must be 1-${LIMITS.idLength} characters` })
    .max(LIMITS.idLength, { error: `id must be 1-${LIMITS.idLength} characters` }),
  type: z.string({ error: 'type must be a string' }).min(1, { error: 'type must not be empty' }),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;
