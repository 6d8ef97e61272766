import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type HeraldMode, LaunchedHerald, provisionAccounts } from './lib/herald-launch';

/**
 * Starts Herald for the shell benchmarks (sipp), provisions the bench accounts, writes
 * `{udp, databaseUrl, pids}` to --state, and runs until SIGTERM/SIGINT, then stops Herald.
 *   node dist/bench/serve-herald.js --mode embedded|kafka --accounts N --state FILE
 * Kafka mode reads KAFKA_BROKERS and DATABASE_URL.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'embedded' },
      accounts: { type: 'string', default: '1000' },
      state: { type: 'string' },
      'data-dir': { type: 'string' },
      'pg-port': { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
    },
  });
  const mode = values.mode as HeraldMode;
  const herald = await LaunchedHerald.start({
    mode,
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    ...(values['pg-port'] === undefined ? {} : { postgresPort: Number(values['pg-port']) }),
    ...(process.env['KAFKA_BROKERS'] === undefined ? {} : { kafkaBrokers: process.env['KAFKA_BROKERS'] }),
    ...(process.env['DATABASE_URL'] === undefined ? {} : { databaseUrl: process.env['DATABASE_URL'] }),
    ...(values['cpu-prof-dir'] === undefined
      ? {}
      : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`] }),
  });
  const stop = () => {
    herald.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('serve-herald: stop failed', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await provisionAccounts(herald.databaseUrl, Number(values.accounts));
  const state = JSON.stringify({ udp: herald.udp, databaseUrl: herald.databaseUrl, pids: herald.pids() });
  if (values.state !== undefined) writeFileSync(values.state, state);
  console.log(`serve-herald: ready ${state}`);
}

main().catch((error: unknown) => {
  console.error('serve-herald: failed', error);
  process.exit(1);
});
