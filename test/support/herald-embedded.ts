import { existsSync, readFileSync } from 'node:fs';
import { embeddedAdminTokenPath } from '#herald/config';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportAddress } from '#herald/sip';
import { readyReportOf, type ReadyReport } from '#herald/runtime';
import { freeTcpPort } from './free-port';
import { APP_MAINS, ensureBuilt } from './herald-build';
import { postgresPids } from './herald-infrastructure';
import { HeraldProcess, HeraldProcessError } from './herald-process';
import {
  createAccountIn,
  type HeraldTarget,
  newNonceSecret,
  TEST_MIN_EXPIRES,
  TEST_T1_MS,
} from './herald-target';
import type { ClientProtocol } from './sip-client';

/** initdb on first start plus Nest, on a busy 2-core machine. */
const EMBEDDED_READY_TIMEOUT_MS = 120_000;

export interface HeraldEmbeddedOptions {
  env?: Record<string, string>;
}

function freePortEnv(): Record<string, string> {
  return {
    HERALD_SIP_UDP_PORT: '0',
    HERALD_SIP_TCP_PORT: '0',
    HERALD_SIP_TLS_PORT: '0',
    HERALD_SIP_WS_PORT: '0',
    HERALD_SIP_WSS_PORT: '0',
    HERALD_HTTP_PORT: '0',
    HERALD_ADMIN_PORT: '0',
    HERALD_WEB_PORT: '0',
  };
}

/**
 * The embedded default (`node dist/apps/herald/src/main.js`) as a child process on ephemeral
 * ports, with its data (PostgreSQL, certificate) in a fresh directory under /tmp, removed at stop.
 */
export class HeraldEmbedded implements HeraldTarget {
  readonly name = 'embedded default';
  readonly nonceSecret = newNonceSecret();
  readonly t1Ms = TEST_T1_MS;
  readonly minExpires = TEST_MIN_EXPIRES;
  private report!: ReadyReport;
  private process!: HeraldProcess;

  private constructor(readonly dataDir: string) {}

  static async start(options: HeraldEmbeddedOptions = {}): Promise<HeraldEmbedded> {
    ensureBuilt();
    const postgresPort = await freeTcpPort();
    const embedded = new HeraldEmbedded(await mkdtemp(join(tmpdir(), 'herald-embedded-')));
    embedded.process = new HeraldProcess('herald', APP_MAINS.herald, {
      ...freePortEnv(),
      HERALD_DATA_DIR: embedded.dataDir,
      HERALD_PG_PORT: String(postgresPort),
      HERALD_NONCE_SECRET: embedded.nonceSecret,
      HERALD_SIP_T1_MS: String(embedded.t1Ms),
      HERALD_MIN_EXPIRES: String(embedded.minExpires),
      ...options.env,
    });
    try {
      embedded.report = await embedded.process.waitForLine(
        readyReportOf,
        EMBEDDED_READY_TIMEOUT_MS,
        'its ready line',
      );
    } catch (error) {
      await embedded.stop();
      throw error;
    }
    return embedded;
  }

  get domain(): string {
    return this.report.domain;
  }

  /** The web app (http://127.0.0.1:<port>/). */
  get webUrl(): string {
    return this.report.webUrl;
  }

  get postgresUrl(): string {
    return this.report.postgresUrl;
  }

  /** The admin API's origin (HERALD_ADMIN_URL). */
  get adminUrl(): string {
    return this.report.adminUrl;
  }

  /** The token the embedded default made at its first start (no HERALD_ADMIN_TOKEN given). */
  get adminToken(): string {
    return readFileSync(embeddedAdminTokenPath(this.dataDir), 'utf8').trim();
  }

  get herald(): HeraldProcess {
    return this.process;
  }

  edgeOperationsUrl(): string {
    return this.report.operationsUrl;
  }

  address(protocol: ClientProtocol): TransportAddress {
    const address = this.report.sip[protocol];
    if (address === undefined)
      throw new HeraldProcessError(`the embedded default does not listen on ${protocol}`);
    return address;
  }

  createAccount(username: string, password: string): Promise<void> {
    return createAccountIn(this.postgresUrl, this.domain, username, password);
  }

  /** The embedded PostgreSQL's processes (an outage test pauses them). */
  postgresPids(): Promise<number[]> {
    return postgresPids(join(this.dataDir, 'pg'));
  }

  /**
   * Clean shutdown (SIGTERM): SIP, the services, the bus, PostgreSQL. Reports the exit code and
   * whether PostgreSQL left its postmaster.pid behind (it removes it when it stops cleanly).
   */
  async shutdown(): Promise<{ exitCode: number | null; postgresRunning: boolean }> {
    const exitCode = await this.process.stop();
    return { exitCode, postgresRunning: existsSync(join(this.dataDir, 'pg', 'postmaster.pid')) };
  }

  /** Shuts down, then removes the data directory. */
  async stop(): Promise<void> {
    await this.shutdown();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
