import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Functions listed per profile. */
const TOP = 15;
/** The frame V8 samples when the process waits for events. */
const IDLE = '(idle)';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

/**
 * Self time per function, as shares of the busy (not idle) samples, of every .cpuprofile in a
 * directory (node --cpu-prof output), busiest
 * first: where a Herald process spent its CPU during a benchmark.
 *   node dist/bench/cpu-profile-top.js DIR
 */
function main(): void {
  const directory = process.argv[2] ?? '.';
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile;
    const hits = new Map<string, number>();
    let total = 0;
    for (const node of profile.nodes) {
      const count = node.hitCount ?? 0;
      total += count;
      const { functionName, url, lineNumber } = node.callFrame;
      const where =
        url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
      const key = `${functionName || '(anonymous)'}${where}`;
      hits.set(key, (hits.get(key) ?? 0) + count);
    }
    const seconds = (profile.endTime - profile.startTime) / 1e6;
    // Shares of the busy samples: how idle the process was says nothing about where its CPU went.
    const busy = total - (hits.get(IDLE) ?? 0);
    hits.delete(IDLE);
    console.log(`\n${file}: ${seconds.toFixed(0)} s profiled, ${total} samples, ${busy} busy`);
    for (const [name, count] of [...hits].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`${((100 * count) / Math.max(1, busy)).toFixed(1).padStart(5)} %  ${name}`);
    }
  }
}

main();
