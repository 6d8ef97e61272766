import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from 'pg';

/** Statements before each measured series: the backend's caches and the JIT warm. */
const WARMUP_STATEMENTS = 2_000;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU per statement round trip over loopback TCP and over PostgreSQL's Unix socket, alternating:
 * this process's CPU (the client, like Herald's pools) and the backend's (from /proc, so run it on
 * the machine PostgreSQL runs on). CPU time, not wall time: a busy machine moves it less.
 *   bash scripts/postgres.sh start DIR   # prints its TCP URL; its socket is in DIR/data
 *   node dist/bench/pg-socket-cost.js --url URL --socket-dir DIR/data --statements 30000 --pairs 3
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      'socket-dir': { type: 'string' },
      statements: { type: 'string', default: '30000' },
      pairs: { type: 'string', default: '3' },
    },
  });
  const url = values.url;
  const socketDir = values['socket-dir'];
  if (url === undefined || socketDir === undefined) {
    throw new RangeError('--url and --socket-dir are required');
  }
  const statements = Number(values.statements);
  for (let pair = 0; pair < Number(values.pairs); pair += 1) {
    for (const [transport, host] of [
      ['tcp', undefined],
      ['unix', socketDir],
    ] as const) {
      const cost = await costPerStatement(url, host, statements);
      console.log(JSON.stringify({ transport, statements, ...cost }));
    }
  }
}

/** µs of CPU per `SELECT $1::int` round trip, client and server, on one connection. */
async function costPerStatement(
  url: string,
  socketDir: string | undefined,
  statements: number,
): Promise<{ clientUs: number; clientSystemUs: number; serverUs: number }> {
  const client = new Client({
    connectionString: url,
    ...(socketDir === undefined ? {} : { host: socketDir }),
  });
  await client.connect();
  try {
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    for (let i = 0; i < WARMUP_STATEMENTS; i += 1) await client.query('SELECT $1::int AS x', [i]);
    const clientBefore = process.cpuUsage();
    const serverBefore = processTicks(backend);
    for (let i = 0; i < statements; i += 1) await client.query('SELECT $1::int AS x', [i]);
    const clientUsed = process.cpuUsage(clientBefore);
    const serverTicks = processTicks(backend) - serverBefore;
    const perStatement = (us: number) => Math.round((us / statements) * 10) / 10;
    return {
      clientUs: perStatement(clientUsed.user + clientUsed.system),
      clientSystemUs: perStatement(clientUsed.system),
      serverUs: perStatement((serverTicks * 1_000_000) / TICKS_PER_SECOND),
    };
  } finally {
    await client.end();
  }
}

/** utime + stime of a process, in clock ticks. */
function processTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

main().catch((error: unknown) => {
  console.error('pg-socket-cost: failed', error);
  process.exit(1);
});
