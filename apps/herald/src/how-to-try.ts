import type { DigestAlgorithm } from '#herald/sip';
import type { BoundAddresses } from '#herald/sip-edge';

/** What the start-up banner tells. */
export interface BannerFacts {
  domain: string;
  addresses: BoundAddresses;
  demoUsers: readonly string[];
  demoPassword: string;
  digestAlgorithms: readonly DigestAlgorithm[];
  admin: {
    url: string;
    /** Where its token is: HERALD_ADMIN_TOKEN or the file the CLI reads. */
    token: string;
  };
  webUrl: string;
}

/** The start-up banner: where Herald listens, the demo accounts, and a first thing to try. */
export function howToTry({
  domain,
  addresses,
  demoUsers,
  demoPassword,
  digestAlgorithms,
  admin,
  webUrl,
}: BannerFacts): string {
  const listening = Object.entries(addresses)
    .map(([protocol, address]) => `${protocol} ${address.address}:${address.port}`)
    .join(', ');
  const udp = addresses.udp;
  const accounts =
    demoUsers.length === 0
      ? 'Accounts: those already in the database (demo accounts are only created in an empty one).'
      : `Demo accounts: ${demoUsers.map((user) => `sip:${user}@${domain}`).join(', ')}, password "${demoPassword}".`;
  const target = udp === undefined ? '127.0.0.1:5060' : `${udp.address}:${udp.port}`;
  return [
    `Herald (embedded) is up for SIP domain ${domain}: ${listening}.`,
    `Web app: ${webUrl} (sign in with a SIP user and password).`,
    accounts,
    `How to try it: point a SIP client at ${target} (UDP) as sip:alice@${domain}, password ${demoPassword}.`,
    `Its 401 offers the digest challenges ${digestAlgorithms.join(', then ')}; clients that answer only the first`,
    `(sipsak, SIPp) need MD5 first: HERALD_DIGEST_ALGORITHMS=MD5,SHA-256; baresip 1.0 needs MD5 alone (docs/interop.md).`,
    `Then send commands as SIP INFO (Info-Package: herald) or MESSAGE with a JSON body of type`,
    `application/vnd.herald+json such as {"v":1,"id":"c-1","type":"login"} (see protocol.md); two softphones`,
    'registered as alice and bob can exchange plain text MESSAGEs once they are buddies.',
    `Admin API: ${admin.url}/admin (OpenAPI: ${admin.url}/admin/openapi.json; docs/admin.md; token: ${admin.token}).`,
    'Make alice and bob buddies (the CLI finds the token itself; give HERALD_DATA_DIR if Herald got one):',
    '  node dist/apps/cli/src/main.js rosters pair alice bob',
  ].join('\n');
}
