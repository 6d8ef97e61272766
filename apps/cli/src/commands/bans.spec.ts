import { runCli } from '../cli';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli-error';
import type { CliIo } from '../command';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    stdin: () => Promise.resolve(''),
    progress: { isTTY: false, write: () => true },
  };
  return { out, err, io };
}

const ENV = { HERALD_ADMIN_TOKEN: 'bans-spec-admin-token' };

describe('herald bans', () => {
  it('shows its help with the --url option', async () => {
    const { out, io } = capture();
    expect(await runCli(['bans', 'lift', '--help'], ENV, io)).toBe(EXIT_OK);
    expect(out.join('\n')).toContain('usage: herald bans lift <source> [options]');
    expect(out.join('\n')).toContain('--url <value>');
  });

  it.each([[['bans', 'lift']], [['bans', 'list', 'extra']], [['bans', 'lift', '127.0.0.5', 'extra']]])(
    'refuses %j with CLI_USAGE and the help',
    async (argv) => {
      const { err, io } = capture();
      expect(await runCli(argv, ENV, io)).toBe(EXIT_USAGE);
      expect(err[0]).toMatch(/^CLI_USAGE: expected: herald bans /);
      expect(err[1]).toMatch(/^usage: herald bans /);
    },
  );

  it('refuses a HERALD_EDGE_URL that is not an http URL', async () => {
    const { err, io } = capture();
    expect(await runCli(['bans', 'list'], { ...ENV, HERALD_EDGE_URL: 'edge-0:8090' }, io)).toBe(EXIT_USAGE);
    expect(err).toEqual([expect.stringMatching(/^CONFIG_INVALID: HERALD_EDGE_URL /)]);
  });

  it.each([
    [['bans', 'list', '--url', 'http://127.0.0.1:1'], {}, '--url'],
    [['bans', 'lift', '127.0.0.5'], { HERALD_EDGE_URL: 'http://127.0.0.1:1' }, 'HERALD_EDGE_URL'],
  ])('reports an edge it cannot reach: %j', async (argv, env, setting) => {
    const { err, io } = capture();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    expect(await runCli(argv, { ...ENV, ...env }, io)).toBe(EXIT_FAILED);
    expect(err).toEqual([
      expect.stringMatching(
        /^CLI_ADMIN_UNREACHABLE: (GET|DELETE) http:\/\/127\.0\.0\.1:1\/admin\/edge\/bans/,
      ),
    ]);
    expect(err[0]).toContain(`(is ${setting} right?)`);
  });
});
