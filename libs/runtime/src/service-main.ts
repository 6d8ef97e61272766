import { Logger } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { HeraldConfig } from '#herald/config';
import type { AddressInfo } from 'node:net';
import { componentLogger, logProcessWarnings, nestLogger } from '#herald/observability';

/**
 * The host the health, metrics and admin endpoints listen on: deployed, the probes come from the
 * pod network; anywhere else loopback only.
 */
export function operationsHttpHost(mode: HeraldConfig['mode']): string {
  return mode === 'distributed' ? '0.0.0.0' : '127.0.0.1';
}

/** Listens on HERALD_HTTP_PORT and logs `<name> up; ...`, the line the process supervisors wait for. */
export async function listenForOperations(
  app: INestApplication,
  config: Pick<HeraldConfig, 'mode' | 'httpPort'>,
  name: string,
  logger: Logger,
): Promise<void> {
  const httpHost = operationsHttpHost(config.mode);
  await app.listen(config.httpPort, httpHost);
  // The bound port: HERALD_HTTP_PORT=0 (tests) takes an ephemeral one.
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(`${name} up; health and metrics on http://${httpHost}:${port}`);
}

/**
 * Runs a service's start-up with Nest logging through the process' pino logger (one JSON line
 * per entry); when it fails, logs why (code START_FAILED, the error as `err`) and exits 1: a
 * half-started process must not linger.
 */
export function runServiceMain(loggerContext: string, start: () => Promise<void>): void {
  Logger.overrideLogger(nestLogger());
  logProcessWarnings();
  start().catch((error: unknown) => {
    componentLogger(loggerContext).fatal({ code: 'START_FAILED', err: error }, 'start failed');
    process.exit(1);
  });
}
