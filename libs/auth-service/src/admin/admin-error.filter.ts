import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { AuthError, type AuthErrorCode, PresenceError, type PresenceErrorCode } from '#herald/domain';

const STATUS: Record<AuthErrorCode | PresenceErrorCode, HttpStatus> = {
  AUTH_INVALID_USERNAME: HttpStatus.BAD_REQUEST,
  AUTH_INVALID_PASSWORD: HttpStatus.BAD_REQUEST,
  AUTH_INVALID_PROFILE: HttpStatus.BAD_REQUEST,
  AUTH_IMPORT_TOO_LARGE: HttpStatus.BAD_REQUEST,
  AUTH_ACCOUNT_EXISTS: HttpStatus.CONFLICT,
  AUTH_ACCOUNT_NOT_FOUND: HttpStatus.NOT_FOUND,
  AUTH_STORED_RESULT_INVALID: HttpStatus.INTERNAL_SERVER_ERROR,
  AUTH_INVALID_USER: HttpStatus.BAD_REQUEST,
  AUTH_INVALID_CURSOR: HttpStatus.BAD_REQUEST,
  AUTH_DEVICE_NOT_FOUND: HttpStatus.NOT_FOUND,
  PRESENCE_SELF_BUDDY: HttpStatus.BAD_REQUEST,
  PRESENCE_INVALID_USER: HttpStatus.BAD_REQUEST,
  PRESENCE_UNKNOWN_USER: HttpStatus.NOT_FOUND,
  PRESENCE_NOT_IN_ROSTER: HttpStatus.NOT_FOUND,
  PRESENCE_ALREADY_IN_ROSTER: HttpStatus.CONFLICT,
  PRESENCE_NO_PENDING_REQUEST: HttpStatus.NOT_FOUND,
};

interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

/** Answers the domain's refusals with their HTTP status and `{code, message}`. */
@Catch(AuthError, PresenceError)
export class AdminErrorFilter implements ExceptionFilter<AuthError | PresenceError> {
  catch(error: AuthError | PresenceError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<JsonResponse>()
      .status(STATUS[error.code])
      .json({ code: error.code, message: error.message });
  }
}
