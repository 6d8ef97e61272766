/**
 * Accounts of the service domain (auth's accounts table, read only): one port for every context
 * that must know whether a user exists (im-router's recipients, presence's buddies).
 */
export interface AccountDirectory {
  /** False for an unknown account and for a disabled one. */
  exists(aor: string): Promise<boolean>;
}

/** An AccountDirectory that also checks many accounts at once. */
export interface BatchAccountDirectory extends AccountDirectory {
  /** The AORs among `aors` that exist (as `exists`), in ONE query. */
  existing(aors: readonly string[]): Promise<ReadonlySet<string>>;
}
