import { type EventBus, KafkaEventBus, KafkaSecurityError } from '#herald/bus';
import { ConfigError, KAFKA_SECURITY_CONFIG_KEYS, kafkaSecurityOf, loadConfig } from '#herald/config';
import { type AccountService, AuthError } from '#herald/domain';
import { createDataSource } from '#herald/persistence';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { AuthConfigError, authConfigFromEnv, createAccountService } from '#herald/auth-service';

export const CLI_USAGE = `usage: herald-auth accounts <command> [options]
  create <username> (--password <p> | --password-stdin) [--display-name <name>]
  show <username>
  list [--after <username>] [--limit <n>]
  disable <username> | enable <username> | delete <username>
  reset-password <username> (--password <p> | --password-stdin)
environment: DATABASE_URL (PostgreSQL), HERALD_DOMAIN (the SIP domain, default herald.local),
  KAFKA_BROKERS (host:port,...): delete and disable then also log the account's devices out and
  tell presence and im-router; without it they keep showing those devices until their
  registrations expire (a deleted account's devices: until those services restart)`;

/** Exit statuses: 0 done, 1 refused by the domain (e.g. unknown account), 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** The whole standard input (for --password-stdin). */
  stdin: () => Promise<string>;
}

const ACCOUNT_COMMANDS = ['create', 'show', 'list', 'disable', 'enable', 'delete', 'reset-password'];
/** Commands that end the account's sessions and registrations (announced only over a bus). */
const REMOVING_COMMANDS = ['disable', 'delete'];

class UsageError extends Error {
  readonly code = 'CLI_USAGE';
}

/** Runs one CLI command against the database in `env`; returns the exit status. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n${CLI_USAGE}`);
    return EXIT_USAGE;
  }
  const databaseUrl = env['DATABASE_URL'];
  if (databaseUrl === undefined || databaseUrl === '') {
    io.stderr('DATABASE_URL must point at Herald’s PostgreSQL');
    return EXIT_USAGE;
  }
  let domain: string;
  let bus: EventBus | undefined;
  try {
    domain = authConfigFromEnv(env).domain;
    const kafka = loadConfig(['kafkaBrokers', 'kafkaClientId', ...KAFKA_SECURITY_CONFIG_KEYS], env);
    const { kafkaBrokers, kafkaClientId } = kafka;
    bus =
      kafkaBrokers === undefined
        ? undefined
        : new KafkaEventBus({
            brokers: kafkaBrokers,
            clientId: `${kafkaClientId}-auth-cli`,
            security: kafkaSecurityOf(kafka),
            // The CLI's output is its result: kafkajs' start-up warnings are noise there.
            logLevel: 'error',
          });
  } catch (error) {
    if (!(
      error instanceof AuthConfigError ||
      error instanceof ConfigError ||
      error instanceof KafkaSecurityError
    )) {
      throw error;
    }
    io.stderr(`${error.code}: ${error.message}`);
    return EXIT_USAGE;
  }
  const dataSource = createDataSource({ url: databaseUrl, applicationName: 'herald-auth-cli' });
  await dataSource.initialize();
  try {
    if (bus === undefined && REMOVING_COMMANDS.includes(parsed.command)) {
      io.stderr(`note: KAFKA_BROKERS is not set, so presence and im-router are not told (see --help)`);
    }
    const accounts = createAccountService(dataSource, domain, bus);
    await execute(accounts, parsed, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof AuthError || error instanceof UsageError) {
      io.stderr(`${error.code}: ${error.message}`);
      return error instanceof UsageError ? EXIT_USAGE : EXIT_REFUSED;
    }
    throw error;
  } finally {
    await bus?.close();
    await dataSource.destroy();
  }
}

function parseCommandLine(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      password: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'display-name': { type: 'string' },
      after: { type: 'string' },
      limit: { type: 'string' },
    },
  });
  const [group, command, username, ...rest] = positionals;
  if (group !== 'accounts' || command === undefined || rest.length > 0) {
    throw new UsageError('expected: accounts <command> [username]');
  }
  if (!ACCOUNT_COMMANDS.includes(command)) {
    throw new UsageError(`unknown command "${command}"`);
  }
  return { command, username, values };
}

async function execute(
  accounts: AccountService,
  { command, username, values }: ReturnType<typeof parseCommandLine>,
  io: CliIo,
): Promise<void> {
  const print = (value: unknown) => io.stdout(JSON.stringify(value));
  if (command === 'list') {
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) {
      throw new UsageError('--limit must be a positive integer');
    }
    (await accounts.list({ after: values.after, limit })).forEach(print);
    return;
  }
  if (username === undefined) {
    throw new UsageError(`accounts ${command} needs a username`);
  }
  const password = async () => {
    if (values['password-stdin'] === true) return (await io.stdin()).replace(/\r?\n$/, '');
    if (values.password !== undefined) return values.password;
    throw new UsageError(`accounts ${command} needs --password or --password-stdin`);
  };
  switch (command) {
    case 'create':
      print(
        await accounts.create({ username, password: await password(), displayName: values['display-name'] }),
      );
      return;
    case 'show':
      print(await accounts.get(username));
      return;
    case 'disable':
    case 'enable':
      print(await accounts.setDisabled(username, command === 'disable'));
      return;
    case 'delete':
      await accounts.delete(username);
      io.stdout(`deleted ${username}`);
      return;
    case 'reset-password':
      print(await accounts.resetPassword(username, await password()));
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), process.env, {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    stdin: () => text(process.stdin),
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
