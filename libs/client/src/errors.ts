import type { ErrorCode } from '../../contracts/src/client/errors';

/** Stable codes of the SDK's own failures (not Herald's result codes). */
export type HeraldClientErrorCode =
  | 'HERALD_REGISTER_FAILED'
  | 'HERALD_SIP_REJECTED'
  | 'HERALD_NOT_CONNECTED'
  | 'HERALD_CLOSED'
  | 'HERALD_BAD_PUSH';

/** A failure of the SDK or of the SIP layer below it (registration refused, request rejected, closed). */
export class HeraldClientError extends Error {
  constructor(
    readonly code: HeraldClientErrorCode,
    message: string,
    /** The SIP status of the response that caused it, when there was one. */
    readonly sipStatus?: number,
    /** Retry-After seconds of a 503, when Herald sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'HeraldClientError';
  }
}

/** A final response other than 2xx as an error, with its status and the Retry-After it carried. */
export function sipRejection(
  code: 'HERALD_REGISTER_FAILED' | 'HERALD_SIP_REJECTED',
  method: string,
  response: { status: number | undefined; reason: string | undefined; retryAfter: string | undefined },
): HeraldClientError {
  const retryAfter = Number.parseInt(response.retryAfter ?? '', 10);
  return new HeraldClientError(
    code,
    `${method} answered ${response.status} ${response.reason}`,
    response.status,
    Number.isFinite(retryAfter) ? retryAfter : undefined,
  );
}

/** Herald ran the command and answered `ok: false` (protocol.md §4). */
export class HeraldCommandError extends Error {
  constructor(
    /** The command type, e.g. `im.send`. */
    readonly command: string,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(`${command}: ${code}: ${message}`);
    this.name = 'HeraldCommandError';
  }
}
