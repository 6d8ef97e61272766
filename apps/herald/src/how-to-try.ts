import type { BoundAddresses } from '../../sip-edge/src/sip-edge';

/** The start-up banner: where Herald listens, the demo accounts, and a first thing to try. */
export function howToTry(
  domain: string,
  addresses: BoundAddresses,
  demoUsers: readonly string[],
  demoPassword: string,
): string {
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
    accounts,
    `How to try it: register alice with sipsak ("sipsak -U -s sip:alice@${domain} -a herald -u alice -p ${target} -C sip:alice@127.0.0.1:5070 -vv")`,
    `or point a softphone (baresip: "/uanew <sip:bob@${domain};transport=udp>;outbound=\\"sip:${target}\\";auth_pass=herald")`,
    `at it, then send commands as SIP INFO (Info-Package: herald) or MESSAGE with a JSON body of type`,
    `application/vnd.herald+json such as {"v":1,"id":"c-1","type":"login"} (see protocol.md); two softphones`,
    'registered as alice and bob can exchange plain text MESSAGEs once they are buddies.',
  ].join('\n');
}
