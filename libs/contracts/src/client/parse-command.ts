import { z } from 'zod';
import { COMMAND_SCHEMAS, type Command, isCommandType } from './commands';
import { type Envelope, EnvelopeSchema } from './envelope';

/**
 * The envelope's and each command's schema compiled ahead of time by zod (`z.compile`), as the
 * event contracts validate (EventContract.compiledSchema): a valid body takes a generated fast path
 * (the edge checks the envelope of every command it forwards, the owning service the command),
 * anything else the runtime parser, so issues and messages are zod's. Here, not beside the schemas:
 * browser clients share commands.ts and envelope.ts, and compiling needs `new Function`.
 */
export const COMPILED_ENVELOPE_SCHEMA = z.compile(EnvelopeSchema);
export const COMPILED_COMMAND_SCHEMAS = Object.fromEntries(
  Object.entries(COMMAND_SCHEMAS).map(([type, schema]) => [type, z.compile(schema)]),
) as unknown as typeof COMMAND_SCHEMAS;

/**
 * Outcome of parsing a client body:
 * - `command`: a valid command of a known type;
 * - `bad-envelope`: not a valid envelope; the edge answers SIP 400 with `reason` as reason phrase;
 * - `unknown-type`: valid envelope, unknown type; answered with `<type>.result` ok:false unknown-type;
 * - `invalid-command`: known type with bad fields; answered with `<type>.result` ok:false and
 *   `code` (`too-large` when a field is over its size limit, else `bad-request`).
 */
export type CommandParseResult =
  | { kind: 'command'; command: Command }
  | { kind: 'bad-envelope'; reason: string }
  | { kind: 'unknown-type'; envelope: Envelope; message: string }
  | { kind: 'invalid-command'; envelope: Envelope; code: 'bad-request' | 'too-large'; message: string };

/** Outcome of reading a client body as an envelope only (the edge's part, protocol.md §3). */
export type EnvelopeParseResult =
  { kind: 'envelope'; envelope: Envelope } | { kind: 'bad-envelope'; reason: string };

/** Parses a JSON body as received over SIP (protocol.md §3). */
export function parseCommand(json: string): CommandParseResult {
  const parsed = parseEnvelope(json);
  return parsed.kind === 'envelope' ? parseCommandFields(parsed.envelope) : parsed;
}

/**
 * Parses a JSON body as an envelope (v, id, type), unknown fields kept, without the command's own
 * fields: what the edge needs to answer 400 or forward it. The owning service parses the command
 * (parseCommandObject) and answers bad fields with `<type>.result`.
 */
export function parseEnvelope(json: string): EnvelopeParseResult {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    // The parser's own message names a character offset, not the problem a client can act on.
    return { kind: 'bad-envelope', reason: 'body is not valid JSON' };
  }
  return parseEnvelopeObject(value);
}

function parseEnvelopeObject(value: unknown): EnvelopeParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'bad-envelope', reason: 'body is not a JSON object' };
  }
  const envelope = COMPILED_ENVELOPE_SCHEMA.safeParse(value);
  if (!envelope.success) {
    return { kind: 'bad-envelope', reason: `bad envelope: ${describeIssues(envelope.error)}` };
  }
  return { kind: 'envelope', envelope: envelope.data };
}

/** Parses an already decoded JSON value (e.g. the `envelope` of a sip.command-received event). */
export function parseCommandObject(value: unknown): CommandParseResult {
  const parsed = parseEnvelopeObject(value);
  return parsed.kind === 'envelope' ? parseCommandFields(parsed.envelope) : parsed;
}

/** The command's own fields of a valid envelope. */
function parseCommandFields(envelope: Envelope): CommandParseResult {
  const { type } = envelope;
  if (!isCommandType(type)) {
    return { kind: 'unknown-type', envelope, message: `unknown type ${JSON.stringify(type)}` };
  }
  // The envelope holds every field of the body (a loose object): the command's schema reads its own.
  const command = COMPILED_COMMAND_SCHEMAS[type].safeParse(envelope);
  if (!command.success) {
    return {
      kind: 'invalid-command',
      envelope,
      code: command.error.issues.some(isSizeIssue) ? 'too-large' : 'bad-request',
      message: describeIssues(command.error),
    };
  }
  return { kind: 'command', command: command.data as Command };
}

function isSizeIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'too_big' || (issue.code === 'custom' && issue.params?.['tooLarge'] === true);
}

/** `field.path: message; …` — short enough for a SIP reason phrase. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
