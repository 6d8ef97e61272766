/**
 * The canonical form of an AOR (architecture.md: `sip:user@D`, lower-cased user part). `sips:` is
 * the same address of record reached securely, so `sip:User@Example.COM` and
 * `sips:user@example.com` both name `sip:user@example.com`.
 */
export function canonicalAor(uri: string): string {
  return uri.replace(/^sips?:/i, 'sip:').toLowerCase();
}

/** The domain part of a canonical AOR. */
export function aorDomain(aor: string): string {
  return aor.slice(aor.lastIndexOf('@') + 1);
}
