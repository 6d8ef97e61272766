// First, as in apps/sip-edge/src/main.ts: the edge runs with the OpenTelemetry SDK it has in production.
import '../libs/observability/src/register';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BenchServicesBus, benchEdge } from './lib/bench-edge';

/**
 * The SIP edge alone (apps/sip-edge, UDP only) with a bus that decides every REGISTER 200 and
 * answers every im.send (BenchServicesBus), for bench/capacity.ts `--mode edge` and
 * bench/edge-cpu.sh: the RSS and heap of this process are the edge's own. Writes
 * `{udp, databaseUrl, pids}` like bench/serve-herald.ts and runs until SIGTERM/SIGINT.
 *   node dist/bench/capacity-edge.js --state FILE
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { state: { type: 'string' } } });
  const edge = benchEdge(new BenchServicesBus());
  await edge.start();
  const udp = edge.addresses.udp;
  if (udp === undefined) throw new Error('capacity-edge: no UDP address');
  const stop = () => {
    edge.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('capacity-edge: stop failed', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const state = JSON.stringify({ udp, databaseUrl: '', pids: { 'sip-edge': process.pid } });
  if (values.state !== undefined) writeFileSync(values.state, state);
  console.log(`capacity-edge: ready ${state}`);
}

main().catch((error: unknown) => {
  console.error('capacity-edge: failed', error);
  process.exit(1);
});
