/**
 * Accounts of the service domain (auth's accounts table, read only): one port for every context
 * that must know whether a user exists (im-router's recipients, presence's buddies).
 */
export interface AccountDirectory {
  /** False for an unknown account and for a disabled one. */
  exists(aor: string): Promise<boolean>;
}
