export type AuthErrorCode =
  | 'AUTH_INVALID_USERNAME'
  | 'AUTH_INVALID_PASSWORD'
  | 'AUTH_INVALID_PROFILE'
  | 'AUTH_ACCOUNT_EXISTS'
  | 'AUTH_ACCOUNT_NOT_FOUND'
  | 'AUTH_IMPORT_TOO_LARGE'
  | 'AUTH_INVALID_USER'
  | 'AUTH_INVALID_CURSOR'
  | 'AUTH_DEVICE_NOT_FOUND'
  | 'AUTH_STORED_RESULT_INVALID';

/** A failure of the auth domain, with a stable code (the admin API and CLI map it to their answers). */
export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthError';
  }
}
