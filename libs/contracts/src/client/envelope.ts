import { z } from 'zod';
import { LIMITS, PROTOCOL_VERSION } from './wire-constants';

export { ENVELOPE_CONTENT_TYPE, PROTOCOL_VERSION } from './wire-constants';

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
