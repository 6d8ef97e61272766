import { parseArgs } from 'node:util';
import { readState } from './lib/bench-state';
import { describeIdleWait, HeraldBacklogReader } from './lib/herald-idle';

/**
 * Waits until Herald has handled every published record and every IM push has an outcome, at most
 * --max-seconds; prints one line for the run details ("idle after 0.8 s" or what was pending).
 * Exit code 0 either way (a busy Herald is a finding, not an error); 1 when it cannot read.
 *   node dist/bench/wait-idle.js --state FILE --mode embedded|kafka --max-seconds 60
 * Kafka mode reads KAFKA_BROKERS.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      state: { type: 'string' },
      mode: { type: 'string', default: 'embedded' },
      'max-seconds': { type: 'string', default: '60' },
    },
  });
  const reader = await HeraldBacklogReader.open(readState(values.state ?? '', values.mode ?? 'embedded'));
  try {
    console.log(describeIdleWait(await reader.waitUntilIdle(Number(values['max-seconds']) * 1000)));
  } finally {
    await reader.close();
  }
}

main().catch((error: unknown) => {
  console.error('wait-idle: failed', error);
  process.exit(1);
});
