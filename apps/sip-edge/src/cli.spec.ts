import { EXIT_REFUSED, EXIT_USAGE, runEdgeCli } from './cli';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line) },
  };
}

const TOKEN = { HERALD_ADMIN_TOKEN: 'cli-spec-admin-token' };

describe('runEdgeCli', () => {
  it.each([[['bans']], [['bans', 'lift']], [['bans', 'list', 'extra']], [['accounts', 'list']]])(
    'refuses %j with the usage',
    async (argv) => {
      const { err, io: cliIo } = io();
      expect(await runEdgeCli(argv, TOKEN, cliIo)).toBe(EXIT_USAGE);
      expect(err.join('\n')).toContain('usage: herald-edge');
    },
  );

  it('needs the admin token', async () => {
    const { err, io: cliIo } = io();
    expect(await runEdgeCli(['bans', 'list'], {}, cliIo)).toBe(EXIT_USAGE);
    expect(err).toEqual(['HERALD_ADMIN_TOKEN must be the admin bearer token']);
  });

  it('reports an edge it cannot reach', async () => {
    const { err, io: cliIo } = io();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    expect(await runEdgeCli(['bans', 'list', '--url', 'http://127.0.0.1:1'], TOKEN, cliIo)).toBe(
      EXIT_REFUSED,
    );
    expect(err[0]).toMatch(/^EDGE_UNREACHABLE: http:\/\/127\.0\.0\.1:1: /);
  });
});
