import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { loadConfig } from '#herald/config';
import { WebAppServer } from './web-app-server';

/** The checkout's (or image's) root: web-main.js runs from dist/apps/herald/src. */
const ROOT = join(__dirname, '..', '..', '..', '..');

/**
 * The web app alone (the Helm chart's optional `web` Deployment): its static files on all
 * interfaces of the pod, port HERALD_WEB_PORT; browsers reach the edge at HERALD_WEB_SIP_URL.
 */
async function main(): Promise<void> {
  const config = loadConfig(['domain', 'webPort', 'webSipUrl', 'sipWsPort', 'sipWssPort']);
  const logger = new Logger('HeraldWeb');
  const server = new WebAppServer(
    join(ROOT, 'dist', 'web'),
    {
      domain: config.domain,
      wsPort: config.sipWsPort,
      wssPort: config.sipWssPort,
      ...(config.webSipUrl === undefined ? {} : { sipUrl: config.webSipUrl }),
    },
    (line) => logger.error(line),
  );
  const port = await server.listen(config.webPort, '0.0.0.0');
  logger.log(`web app on port ${port}; browsers connect to ${config.webSipUrl ?? 'the page host'}`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  new Logger('HeraldWeb').error(
    `start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
