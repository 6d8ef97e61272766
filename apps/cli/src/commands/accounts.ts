import { readFile } from 'node:fs/promises';
import { CliError, UsageError } from '../cli-error';
import { type CliCommand, type CommandContext, printJson } from '../command';
import { parseCsv } from '../csv';
import { Progress } from '../progress';

/** Accounts sent per import request (the API takes up to 1,000; smaller batches move the bar). */
const IMPORT_BATCH = 200;

interface ImportResult {
  username: string;
  outcome: 'created' | 'existed' | 'refused';
  code?: string;
  message?: string;
}

async function password({ options, io }: CommandContext): Promise<string> {
  if (options['password-stdin'] === true) return (await io.stdin()).replace(/\r?\n$/, '');
  if (typeof options['password'] === 'string') return options['password'];
  throw new UsageError('needs --password or --password-stdin');
}

const PASSWORD_OPTIONS = {
  password: {
    type: 'string',
    description: 'the password (visible in the process list: prefer --password-stdin)',
  },
  'password-stdin': { type: 'boolean', description: 'read the password from standard input' },
} as const;

const path = (username: string | undefined) => `/admin/accounts/${encodeURIComponent(username ?? '')}`;

/** `accounts import --csv FILE`: a header row naming username, password and optionally displayName. */
async function importCsv({ options, api, io }: CommandContext): Promise<void> {
  const file = options['csv'];
  if (typeof file !== 'string') throw new UsageError('needs --csv FILE');
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError('CLI_FILE_UNREADABLE', `${file}: ${error.code ?? error.message}`);
  });
  const [header, ...rows] = parseCsv(text);
  const columns = header?.fields.map((name) => name.trim()) ?? [];
  const at = (name: string) => columns.indexOf(name);
  if (at('username') < 0 || at('password') < 0) {
    throw new CliError(
      'CLI_CSV_INVALID',
      `${file}: the first line must name the columns username,password[,displayName]`,
    );
  }
  const counts = { created: 0, existed: 0, refused: 0 };
  const refuse = (line: number, code: string, message: string) => {
    counts.refused += 1;
    io.stderr(`line ${line}: ${code}: ${message}`);
  };
  const accounts = rows.flatMap(({ line, fields }) => {
    if (fields.length !== columns.length) {
      refuse(line, 'CLI_CSV_INVALID', `expected ${columns.length} fields, found ${fields.length}`);
      return [];
    }
    const displayName = at('displayName') < 0 ? '' : fields[at('displayName')]!;
    return [
      {
        line,
        account: {
          username: fields[at('username')]!,
          password: fields[at('password')]!,
          ...(displayName === '' ? {} : { displayName }),
        },
      },
    ];
  });
  const progress = new Progress(io.progress, rows.length, 'imported');
  const malformed = rows.length - accounts.length;
  if (malformed > 0) progress.advance(malformed);
  for (let start = 0; start < accounts.length; start += IMPORT_BATCH) {
    const batch = accounts.slice(start, start + IMPORT_BATCH);
    const { results } = await api.request<{ results: ImportResult[] }>('POST', '/admin/accounts/import', {
      accounts: batch.map((entry) => entry.account),
    });
    results.forEach((result, index) => {
      if (result.outcome === 'refused') {
        refuse(batch[index]!.line, result.code ?? 'REFUSED', result.message ?? '');
      } else {
        counts[result.outcome] += 1;
      }
    });
    progress.advance(batch.length);
  }
  progress.finish();
  io.stdout(`created ${counts.created}, existed ${counts.existed}, refused ${counts.refused}`);
}

export const ACCOUNT_COMMANDS: CliCommand[] = [
  {
    group: 'accounts',
    name: 'create',
    args: '<username>',
    summary: 'create an account',
    options: { ...PASSWORD_OPTIONS, 'display-name': { type: 'string', description: 'the display name' } },
    run: async (context) => {
      const displayName = context.options['display-name'];
      printJson(
        context.io,
        await context.api.request('POST', '/admin/accounts', {
          username: context.args[0],
          password: await password(context),
          ...(typeof displayName === 'string' ? { displayName } : {}),
        }),
      );
    },
  },
  {
    group: 'accounts',
    name: 'import',
    args: '',
    summary:
      'create the accounts of a CSV file (header: username,password[,displayName]); prints created, existed, refused',
    options: { csv: { type: 'string', description: 'the CSV file' } },
    run: importCsv,
  },
  {
    group: 'accounts',
    name: 'list',
    args: '',
    summary: 'list accounts by username, one JSON line each',
    options: {
      after: { type: 'string', description: 'start after this username' },
      limit: { type: 'string', description: 'at most this many (1-1000, default 100)' },
    },
    run: async ({ options, api, io }) => {
      const query = new URLSearchParams();
      if (typeof options['after'] === 'string') query.set('after', options['after']);
      if (typeof options['limit'] === 'string') query.set('limit', options['limit']);
      const { accounts } = await api.request<{ accounts: unknown[] }>('GET', `/admin/accounts?${query}`);
      accounts.forEach((account) => printJson(io, account));
    },
  },
  {
    group: 'accounts',
    name: 'show',
    args: '<username>',
    summary: 'show an account',
    run: async ({ args, api, io }) => printJson(io, await api.request('GET', path(args[0]))),
  },
  {
    group: 'accounts',
    name: 'disable',
    args: '<username>',
    summary: 'disable an account: its devices are unregistered, watchers see them offline',
    run: async ({ args, api, io }) => printJson(io, await api.request('POST', `${path(args[0])}/disable`)),
  },
  {
    group: 'accounts',
    name: 'enable',
    args: '<username>',
    summary: 'enable an account',
    run: async ({ args, api, io }) => printJson(io, await api.request('POST', `${path(args[0])}/enable`)),
  },
  {
    group: 'accounts',
    name: 'reset-password',
    args: '<username>',
    summary: 'set a new password',
    options: PASSWORD_OPTIONS,
    run: async (context) =>
      printJson(
        context.io,
        await context.api.request('POST', `${path(context.args[0])}/password`, {
          password: await password(context),
        }),
      ),
  },
  {
    group: 'accounts',
    name: 'delete',
    args: '<username>',
    summary: 'delete an account with its registrations and sessions',
    run: async ({ args, api, io }) => {
      await api.request('DELETE', path(args[0]));
      io.stdout(`deleted ${args[0]}`);
    },
  },
];
