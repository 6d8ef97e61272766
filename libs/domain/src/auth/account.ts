import { type DigestCredentials, LIMITS, type Profile, USERNAME_PATTERN } from '#herald/contracts';
import { AuthError } from './auth-error';

export type DigestAlgorithm = DigestCredentials['algorithm'];
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/** A user of the service domain. The password itself is never kept: only HA1 per algorithm. */
export interface Account {
  /** Lower-case user part of the AOR; also the digest username. */
  username: string;
  aor: string;
  /** The digest realm the HA1 values were computed for (the SIP domain at the time). */
  realm: string;
  ha1: Record<DigestAlgorithm, string>;
  disabled: boolean;
  profile: Profile;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What a REGISTER's authorization reads of an account: its credentials and state, not its
 * profile or times (a refresh does not parse them).
 */
export type AccountCredentials = Pick<Account, 'username' | 'aor' | 'realm' | 'ha1' | 'disabled'>;

/** What the admin API and the CLI show of an account (no credentials). */
export interface AccountView {
  username: string;
  aor: string;
  disabled: boolean;
  displayName?: string;
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export function accountView(account: Account): AccountView {
  return {
    username: account.username,
    aor: account.aor,
    disabled: account.disabled,
    ...(account.profile.displayName === undefined ? {} : { displayName: account.profile.displayName }),
    settings: account.profile.settings,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}

export const MIN_PASSWORD_LENGTH = 6;
export const MAX_PASSWORD_LENGTH = 256;

export function validateUsername(username: string): string {
  if (!USERNAME_PATTERN.test(username)) {
    throw new AuthError(
      'AUTH_INVALID_USERNAME',
      'username must be 1-64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  return username;
}

export function validatePassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new AuthError(
      'AUTH_INVALID_PASSWORD',
      `password must be ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`,
    );
  }
  return password;
}

export interface ProfileChange {
  /** null clears the display name. */
  displayName?: string | null;
  /** Replaces all settings. */
  settings?: Record<string, unknown>;
}

/** Applies a profile change, enforcing the limits of protocol.md §4 (settings ≤ 4 KiB). */
export function changedProfile(profile: Profile, change: ProfileChange): Profile {
  if (typeof change.displayName === 'string' && change.displayName.length > LIMITS.nameLength) {
    throw new AuthError(
      'AUTH_INVALID_PROFILE',
      `displayName must be at most ${LIMITS.nameLength} characters`,
    );
  }
  const settings = change.settings ?? profile.settings;
  if (Buffer.byteLength(JSON.stringify(settings), 'utf8') > LIMITS.settingsBytes) {
    throw new AuthError(
      'AUTH_INVALID_PROFILE',
      `settings must serialize to at most ${LIMITS.settingsBytes} bytes`,
    );
  }
  const displayName = change.displayName === undefined ? profile.displayName : change.displayName;
  return displayName === null || displayName === undefined ? { settings } : { displayName, settings };
}
