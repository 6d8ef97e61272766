/** Largest whole message, head and body (RFC 3261 §18.1.1 suggests UDP up to 65535; streams too). */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_535;
/** Most header fields in one message (after splitting nothing: one per header line). */
export const DEFAULT_MAX_HEADERS = 100;
/** Longest single line, start line or (folded) header field. */
export const DEFAULT_MAX_LINE_BYTES = 8_192;

/** Limits that guard memory; every one is enforced while a stream is still being read. */
export interface SipParseLimits {
  maxMessageBytes: number;
  maxHeaders: number;
  maxLineBytes: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<SipParseLimits> = Object.freeze({
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxHeaders: DEFAULT_MAX_HEADERS,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
});

export function resolveLimits(limits: Partial<SipParseLimits> | undefined): Readonly<SipParseLimits> {
  return limits === undefined ? DEFAULT_PARSE_LIMITS : { ...DEFAULT_PARSE_LIMITS, ...limits };
}
