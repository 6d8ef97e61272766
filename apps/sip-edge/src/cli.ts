import { parseArgs } from 'node:util';

export const EDGE_CLI_USAGE = `usage: herald-edge bans list | bans lift <source> [--url <edge HTTP URL>]
  list: the source addresses this edge bans now (JSON, one per line)
  lift: lifts the ban of <source> (an address, or an IPv6 /64 as listed)
environment: HERALD_ADMIN_TOKEN (the admin bearer token), HERALD_EDGE_URL (the edge's HTTP port,
  default http://127.0.0.1:8090; --url wins). Each edge keeps its own bans: call every edge.`;

/** Exit statuses: 0 done, 1 refused by the edge (not banned, bad token, unreachable), 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

export interface EdgeCliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

const DEFAULT_EDGE_URL = 'http://127.0.0.1:8090';

/** Runs one command against the edge's admin endpoints (apps/sip-edge/src/admin); returns the exit status. */
export async function runEdgeCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: EdgeCliIo,
): Promise<number> {
  let command: { action: 'list' } | { action: 'lift'; source: string };
  let url: string;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { url: { type: 'string' } },
    });
    const [group, action, source, ...rest] = positionals;
    if (group !== 'bans' || rest.length > 0) throw new Error('expected: bans list | bans lift <source>');
    if (action === 'list' && source === undefined) command = { action };
    else if (action === 'lift' && source !== undefined) command = { action, source };
    else throw new Error('expected: bans list | bans lift <source>');
    url = (values.url ?? env['HERALD_EDGE_URL'] ?? DEFAULT_EDGE_URL).replace(/\/+$/, '');
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n${EDGE_CLI_USAGE}`);
    return EXIT_USAGE;
  }
  const token = env['HERALD_ADMIN_TOKEN'];
  if (token === undefined || token === '') {
    io.stderr('HERALD_ADMIN_TOKEN must be the admin bearer token');
    return EXIT_USAGE;
  }
  const target =
    command.action === 'list'
      ? { method: 'GET', path: '/admin/edge/bans' }
      : { method: 'DELETE', path: `/admin/edge/bans/${encodeURIComponent(command.source)}` };
  let response: Response;
  try {
    response = await fetch(`${url}${target.path}`, {
      method: target.method,
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (error) {
    io.stderr(`EDGE_UNREACHABLE: ${url}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_REFUSED;
  }
  if (!response.ok) {
    io.stderr(`${response.status} ${await response.text()}`);
    return EXIT_REFUSED;
  }
  if (command.action === 'lift') {
    io.stdout(`lifted ${command.source}`);
    return EXIT_OK;
  }
  const listed = (await response.json()) as { edgeId: string; throttle: boolean; bans: unknown[] };
  if (!listed.throttle) io.stderr(`note: the throttle is off on edge ${listed.edgeId}`);
  for (const ban of listed.bans) io.stdout(JSON.stringify({ edgeId: listed.edgeId, ...(ban as object) }));
  return EXIT_OK;
}

if (require.main === module) {
  runEdgeCli(process.argv.slice(2), process.env, {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT_REFUSED;
    },
  );
}
