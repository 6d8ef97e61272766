import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { AuthError, type AuthErrorCode } from '#herald/domain';

const STATUS: Record<AuthErrorCode, HttpStatus> = {
  AUTH_INVALID_USERNAME: HttpStatus.BAD_REQUEST,
  AUTH_INVALID_PASSWORD: HttpStatus.BAD_REQUEST,
  AUTH_INVALID_PROFILE: HttpStatus.BAD_REQUEST,
  AUTH_ACCOUNT_EXISTS: HttpStatus.CONFLICT,
  AUTH_ACCOUNT_NOT_FOUND: HttpStatus.NOT_FOUND,
  AUTH_STORED_RESULT_INVALID: HttpStatus.INTERNAL_SERVER_ERROR,
};

interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

/** Answers domain errors of the admin API with their HTTP status and `{code, message}`. */
@Catch(AuthError)
export class AuthErrorFilter implements ExceptionFilter<AuthError> {
  catch(error: AuthError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<JsonResponse>()
      .status(STATUS[error.code])
      .json({ code: error.code, message: error.message });
  }
}
