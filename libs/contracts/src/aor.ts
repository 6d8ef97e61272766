// The one definition of an AOR's canonical form; AorUriSchema (client/fields.ts) is its shape.
/**
 * The canonical form of an AOR (architecture.md: `sip:user@D`, lower-cased user part). `sips:` is
 * the same address of record reached securely, so `sip:User@Example.COM` and
 * `sips:user@example.com` both name `sip:user@example.com`.
 */
export function canonicalAor(uri: string): string {
  return uri.replace(/^sips?:/i, 'sip:').toLowerCase();
}

/** The canonical AOR of a user part and a host already read from a URI (the same rule as canonicalAor). */
export function aorOfUser(user: string, host: string): string {
  return `sip:${user.toLowerCase()}@${host.toLowerCase()}`;
}

/** The domain part of a canonical AOR. */
export function aorDomain(aor: string): string {
  return aor.slice(aor.lastIndexOf('@') + 1);
}

/** A username: a conservative subset of RFC 3261 `user` that needs no escaping in URIs or digest headers. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * The AOR an operator names: a username (`alice`) is `sip:alice@D`, an AOR of D (`sip:alice@D`, any
 * case, `sips:` too) is taken as it is; undefined for anything else (another domain, no username).
 */
export function userAorOf(sipDomain: string, user: string): string | undefined {
  const domain = sipDomain.toLowerCase();
  const aor = /^sips?:/i.test(user) ? canonicalAor(user) : `sip:${user}@${domain}`;
  const at = aor.lastIndexOf('@');
  const username = aor.slice('sip:'.length, at);
  return at > 0 && aorDomain(aor) === domain && USERNAME_PATTERN.test(username) ? aor : undefined;
}
