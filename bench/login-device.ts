import { parseArgs } from 'node:util';
import { BenchDevice } from './lib/bench-device';
import { BENCH_DOMAIN, benchPassword } from './lib/herald-launch';

/** Pushes that follow a login (result, roster, ...) get this long to arrive and be answered. */
const LOGIN_PUSH_SETTLE_MS = 1_000;

/**
 * Registers (MD5) and logs in one bench user from a fixed local UDP port, answers the login
 * pushes, then frees the port: a SIPp run bound to the same port then owns that Herald flow.
 *   node dist/bench/login-device.js --server PORT --user u000001 --local-port PORT
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      user: { type: 'string' },
      'local-port': { type: 'string' },
    },
  });
  const user = values.user ?? 'u000001';
  const pushes: string[] = [];
  const device = await BenchDevice.open({
    user,
    password: benchPassword(user),
    domain: BENCH_DOMAIN,
    server: { address: '127.0.0.1', port: Number(values.server) },
    localPort: Number(values['local-port']),
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
