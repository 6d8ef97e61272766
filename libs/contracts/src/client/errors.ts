/** Result error codes of protocol.md §3. */
export const ERROR_CODES = [
  'bad-request',
  'unknown-type',
  'not-logged-in',
  'not-found',
  'not-allowed',
  'conflict',
  'too-large',
  'rate-limited',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ResultError {
  code: ErrorCode;
  message: string;
}
