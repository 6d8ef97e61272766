import { parseArgs } from 'node:util';
import { BenchDevice } from './lib/bench-device';
import { LaunchError, BENCH_DOMAIN, benchPassword } from './lib/herald-launch';

/** Pushes that follow a login (result, roster, ...) get this long to arrive and be answered. */
const LOGIN_PUSH_SETTLE_MS = 1_000;

/**
 * Registers (MD5) and logs in bench users, each from its own fixed local UDP port, answers the
 * login pushes, then frees the ports: a SIPp run bound to the same port then owns that Herald flow.
 *   node dist/bench/login-device.js --server PORT --user u000001[,u000002...] --local-port P1[,P2...]
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      user: { type: 'string' },
      'local-port': { type: 'string' },
    },
  });
  const users = (values.user ?? 'u000001').split(',');
  const ports = (values['local-port'] ?? '').split(',').map(Number);
  if (ports.length !== users.length) {
    throw new LaunchError(`--user has ${users.length} entries, --local-port ${ports.length}`);
  }
  const server = { address: '127.0.0.1', port: Number(values.server) };
  await Promise.all(users.map((user, index) => logIn(server, user, ports[index] as number)));
}

async function logIn(
  server: { address: string; port: number },
  user: string,
  localPort: number,
): Promise<void> {
  const pushes: string[] = [];
  const device = await BenchDevice.open({
    user,
    password: benchPassword(user),
    domain: BENCH_DOMAIN,
    server,
    localPort,
    onPush: (envelope) => pushes.push(envelope.type),
  });
  try {
    await device.register();
    await device.command({ id: `login-${Date.now()}`, type: 'login', status: 'online' });
    await new Promise((resolve) => setTimeout(resolve, LOGIN_PUSH_SETTLE_MS));
  } finally {
    await device.close();
  }
  console.log(`login-device: ${user} registered, logged in, pushes=${pushes.join(',')}`);
}

main().catch((error: unknown) => {
  console.error('login-device: failed', error);
  process.exit(1);
});
