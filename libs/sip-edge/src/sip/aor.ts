import { aorOfUser } from '#herald/contracts';
import { Uri } from '#herald/sip';

/** True when the host is the configured domain (host names compare case-insensitively, RFC 3261 §19.1.4). */
export function isDomain(host: string, domain: string): boolean {
  return host.toLowerCase() === domain.toLowerCase();
}

/**
 * The AOR `sip:user@D` a URI names, with the user part lower-cased (architecture.md, Flows and
 * identities); undefined when it is not a SIP URI with a user in domain D.
 */
export function aorOf(uri: Uri | undefined, domain: string): string | undefined {
  if (uri?.kind !== 'sip' || uri.user === undefined || uri.user.length === 0) return undefined;
  if (!isDomain(uri.host, domain)) return undefined;
  return aorOfUser(uri.user, domain);
}
