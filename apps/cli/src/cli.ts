import { ConfigError, embeddedAdminTokenPath, embeddedDataDir, loadConfig } from '#herald/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AdminClient } from './admin-client';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './cli-error';
import type { CliCommand, CliIo } from './command';
import { COMMANDS } from './commands';

/** The checkout's root: cli.js runs from dist/apps/cli/src (the embedded default's data is there). */
const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

const ENVIRONMENT_HELP = `environment:
  HERALD_ADMIN_URL    the admin API (default http://127.0.0.1:8091, the embedded default's)
  HERALD_EDGE_URL     an edge's HTTP port, for bans (default http://127.0.0.1:8090; --url wins)
  HERALD_ADMIN_TOKEN  its bearer token; unset: the one the embedded default keeps in
                      <HERALD_DATA_DIR>/admin-token (.herald/admin-token in the checkout)`;

function commandLine(command: CliCommand): string {
  return ['herald', command.group, command.name, command.args].filter((part) => part).join(' ');
}

function globalHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((command) => commandLine(command).length));
  return [
    'usage: herald <group> <command> [arguments] [options]   (--help after any command for its own)',
    ...commands.map((command) => `  ${commandLine(command).padEnd(width)}  ${command.summary}`),
    ENVIRONMENT_HELP,
  ].join('\n');
}

function commandHelp(command: CliCommand): string {
  const options = Object.entries(command.options ?? {}).map(
    ([name, spec]) => `  --${name}${spec.type === 'string' ? ' <value>' : ''}  ${spec.description}`,
  );
  return [
    `usage: ${commandLine(command)}${options.length > 0 ? ' [options]' : ''}`,
    `  ${command.summary}`,
    ...options,
  ].join('\n');
}

/** The command `argv` names, and the arguments after its name. */
function findCommand(
  argv: readonly string[],
  commands: readonly CliCommand[],
): { command: CliCommand; rest: string[] } | { help: string; status: number } {
  const [group, name, ...rest] = argv;
  const wantsHelp = (word: string | undefined) => word === '--help' || word === '-h';
  if (group === undefined || wantsHelp(group)) {
    return { help: globalHelp(commands), status: group === undefined ? EXIT_USAGE : EXIT_OK };
  }
  const inGroup = commands.filter((command) => command.group === group);
  const whole = inGroup.find((command) => command.name === undefined);
  if (whole !== undefined) return { command: whole, rest: argv.slice(1) };
  const command = inGroup.find((candidate) => candidate.name === name);
  if (command !== undefined) return { command, rest };
  if (inGroup.length === 0)
    return { help: `unknown group "${group}"\n${globalHelp(commands)}`, status: EXIT_USAGE };
  const help = globalHelp(inGroup);
  return wantsHelp(name)
    ? { help, status: EXIT_OK }
    : {
        help: `${name === undefined ? 'a command is needed' : `unknown command "${name}"`}\n${help}`,
        status: EXIT_USAGE,
      };
}

function parseCommandArgs(command: CliCommand, rest: string[]) {
  const options = Object.fromEntries(
    Object.entries(command.options ?? {}).map(([name, spec]) => [name, { type: spec.type }]),
  );
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: { ...options, help: { type: 'boolean', short: 'h' } },
  });
  const required = (command.args.match(/</g) ?? []).length;
  const allowed = required + (command.args.match(/\[/g) ?? []).length;
  return { values, positionals, arityOk: positionals.length >= required && positionals.length <= allowed };
}

/** HERALD_ADMIN_TOKEN, or the token the embedded default keeps beside its data. */
function adminToken(configured: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (configured !== undefined) return configured;
  try {
    const dataDir = embeddedDataDir(REPO_ROOT, env['HERALD_DATA_DIR']);
    return readFileSync(embeddedAdminTokenPath(dataDir), 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Runs one `herald` command; returns the exit status (cli-error.ts). Never throws. */
export async function runCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  commands: readonly CliCommand[] = COMMANDS,
): Promise<number> {
  const found = findCommand(argv, commands);
  if ('help' in found) {
    (found.status === EXIT_OK ? io.stdout : io.stderr)(found.help);
    return found.status;
  }
  const { command, rest } = found;
  try {
    let parsed: ReturnType<typeof parseCommandArgs>;
    try {
      parsed = parseCommandArgs(command, rest);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    if (parsed.values['help'] === true) {
      io.stdout(commandHelp(command));
      return EXIT_OK;
    }
    if (!parsed.arityOk) throw new UsageError(`expected: ${commandLine(command)}`);
    const settings = loadConfig(['adminUrl', 'adminToken', 'edgeUrl'], env);
    const token = adminToken(settings.adminToken, env);
    const api = new AdminClient(settings.adminUrl, token);
    const edge = (url: string | undefined) =>
      url === undefined
        ? new AdminClient(settings.edgeUrl, token, 'HERALD_EDGE_URL')
        : new AdminClient(url, token, '--url');
    await command.run({ args: parsed.positionals, options: parsed.values, api, edge, io });
    return EXIT_OK;
  } catch (error) {
    return reported(error, command, io);
  }
}

/** One line per failure, with its code; bad usage adds the command's help. */
function reported(error: unknown, command: CliCommand, io: CliIo): number {
  if (error instanceof ConfigError) {
    io.stderr(
      `${error.code}: ${error.problems.map((problem) => `${problem.variable} ${problem.message}`).join('; ')}`,
    );
    return EXIT_USAGE;
  }
  if (
    error instanceof CliError ||
    (error instanceof Error && 'code' in error && typeof error.code === 'string')
  ) {
    io.stderr(`${String((error as { code: string }).code)}: ${error.message}`);
    if (error instanceof UsageError) io.stderr(commandHelp(command));
    return error instanceof CliError ? error.exitStatus : EXIT_FAILED;
  }
  io.stderr(`CLI_FAILED: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT_FAILED;
}
