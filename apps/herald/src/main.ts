import '../../../libs/observability/src/register'; // first: starts OpenTelemetry before anything it instruments loads
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import { JournaledEventBus } from '#herald/bus';
import {
  embeddedAdminTokenPath,
  loadConfig,
  loadEmbeddedSettings,
  loadImRouterSettings,
  loadSipEdgeSettings,
} from '#herald/config';
import { isLiveTopic, isOwnerCommandTopic } from '#herald/contracts';
import {
  componentLogger,
  exitGracefullyOnSignals,
  OperationsModule,
  postgresProbe,
} from '#herald/observability';
import {
  createDataSource,
  observeDatabaseGauges,
  poolSizeForConsumers,
  runMigrations,
} from '#herald/persistence';
import { loadAuthConfig, createAccountService, listenForAdmin } from '#herald/auth-service';
import { DEFAULT_PRESENCE_CONFIG } from '#herald/presence-service';
import { READY_CODE, type ReadyReport, runServiceMain } from '#herald/runtime';
import {
  drainBudgetMs,
  probesWithEdgeReadiness,
  SIP_EDGE,
  SIP_EDGE_CONFIG_KEYS,
  type SipEdge,
  sipEdgeConfigFrom,
} from '#herald/sip-edge';
import { DEMO_PASSWORD, ensureDemoAccounts } from './demo-accounts';
import { BUS_JOURNAL_POOL_SIZE, createBusJournalPool } from './bus-journal-pool';
import { EmbeddedDatabase, leaveStopSignalsToHerald } from './embedded-database';
import { ensureEmbeddedAdminToken } from './embedded-admin-token';
import { HeraldEmbeddedModule } from './herald-embedded.module';
import { howToTry } from './how-to-try';
import { ensureSelfSignedCertificate } from './self-signed-certificate';
import { WebAppServer } from './web-app-server';

/** The checkout's root: main.js runs from dist/apps/herald/src. */
const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
/** The groups whose handlers use the database pool at once: auth, presence, im-router (not the edge). */
const EMBEDDED_DATABASE_CONSUMER_GROUPS = 3;
/** Connections beyond the two pools: psql sessions, the superuser's reserve, a second start's probe. */
const EMBEDDED_SPARE_CONNECTIONS = 10;

/**
 * The embedded default (`npm start`): edge, auth, presence and im-router in one Nest process on
 * the in-process bus, with an embedded PostgreSQL; migrations at start, demo accounts in an empty
 * database. Configured by the environment (docs/configuration.md, embedded-settings.ts).
 */
async function main(): Promise<void> {
  // PostgreSQL's own chatter is `verbose` (pino's trace): shown only with HERALD_LOG_LEVEL=trace.
  const shared = loadConfig([
    ...SIP_EDGE_CONFIG_KEYS,
    'httpPort',
    'adminPort',
    'webPort',
    'databasePoolSize',
    'busHandlerConcurrency',
    'consumeLegacyTopics',
    'logLevel',
    'shutdownGraceMs',
  ]);
  const edgeSettings = loadSipEdgeSettings();
  const authConfig = loadAuthConfig();
  const imRouterSettings = loadImRouterSettings();
  const embedded = loadEmbeddedSettings(REPO_ROOT);
  const logger = new Logger('Herald');
  const poolSize = poolSizeForConsumers(
    EMBEDDED_DATABASE_CONSUMER_GROUPS * shared.busHandlerConcurrency,
    shared.databasePoolSize,
  );
  const database = new EmbeddedDatabase(
    embedded.dataDir,
    embedded.postgresPort,
    { info: (line) => logger.verbose(line), error: (line) => logger.error(line) },
    poolSize + BUS_JOURNAL_POOL_SIZE + EMBEDDED_SPARE_CONNECTIONS,
    embedded.postgresSettings,
  );
  const tls = await ensureSelfSignedCertificate(embedded.dataDir, shared.domain);
  await database.start();
  const stops: (() => Promise<void>)[] = [() => database.stop()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const dataSource = createDataSource({
      url: database.localUrl,
      poolSize,
      applicationName: 'herald-embedded',
    });
    await dataSource.initialize();
    stops.push(() => dataSource.destroy());
    const applied = await runMigrations(dataSource);
    logger.log(`migrations applied: ${applied.join(', ') || 'none pending'}`);
    const stopDatabaseGauges = observeDatabaseGauges(dataSource, ['sessions', 'offlineStoreDepth']);
    stops.push(async () => stopDatabaseGauges());
    const demoUsers = embedded.demoAccounts
      ? await ensureDemoAccounts(createAccountService(dataSource, authConfig.domain))
      : [];
    // Journaled: a publish resolves once PostgreSQL stored it, so a crash loses no accepted command.
    const journal = createBusJournalPool(database.localUrl, (error) =>
      logger.warn(`bus journal: idle connection lost: ${error.message}`),
    );
    stops.push(() => journal.pool.end());
    // Live topics (deadline-bound requests, the edge's outbound) die with this one process anyway;
    // a command's publish resolves on its service's commit, which claims its id (no journal row).
    const bus = new JournaledEventBus({
      sql: journal.sql,
      handlerConcurrency: shared.busHandlerConcurrency,
      isLiveTopic,
      isAwaitedTopic: isOwnerCommandTopic,
    });
    await bus.start();
    stops.push(() => bus.close());
    const services = HeraldEmbeddedModule.register({
      bus,
      dataSource,
      edge: sipEdgeConfigFrom(shared, edgeSettings, tls),
      edgeDrainTimeoutMs: drainBudgetMs(shared.shutdownGraceMs),
      auth: authConfig,
      presence: DEFAULT_PRESENCE_CONFIG,
      imRouter: { domain: authConfig.domain, ...imRouterSettings },
      consumeLegacyTopics: shared.consumeLegacyTopics,
    });
    const app = await NestFactory.create(
      OperationsModule.around(services, probesWithEdgeReadiness(services, [postgresProbe(dataSource)])),
    );
    // /health/live, /health/ready and /metrics, on loopback only.
    await app.listen(shared.httpPort, '127.0.0.1');
    stops.push(() => app.close());
    const operationsUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    // The admin API on a port of its own, loopback only too.
    const adminToken = await ensureEmbeddedAdminToken(embedded.dataDir, authConfig.adminToken);
    const admin = await listenForAdmin(
      { bus, dataSource, config: { domain: authConfig.domain, adminToken } },
      shared.adminPort,
      '127.0.0.1',
      logger,
    );
    stops.push(() => admin.app.close());
    const edge = app.get<SipEdge>(SIP_EDGE, { strict: false });
    const admission = {
      url: admin.url,
      token:
        authConfig.adminToken === undefined ? embeddedAdminTokenPath(embedded.dataDir) : 'HERALD_ADMIN_TOKEN',
    };
    // The web app, on loopback like the admin API; it reaches SIP over the plain WS listener.
    const web = new WebAppServer(
      join(REPO_ROOT, 'dist', 'web'),
      { domain: shared.domain, wsPort: edge.addresses.ws?.port, wssPort: edge.addresses.wss?.port },
      (line) => logger.error(line),
    );
    const webPort = await web.listen(shared.webPort, '127.0.0.1');
    stops.push(() => web.close());
    const webUrl = `http://127.0.0.1:${webPort}/`;
    const heraldLogger = componentLogger('Herald');
    heraldLogger.info(
      { code: 'HERALD_HOW_TO_TRY' },
      howToTry({
        domain: shared.domain,
        addresses: edge.addresses,
        demoUsers,
        demoPassword: DEMO_PASSWORD,
        digestAlgorithms: edgeSettings.digestAlgorithms,
        admin: admission,
        webUrl,
      }),
    );
    const report: ReadyReport = {
      domain: shared.domain,
      sip: edge.addresses,
      postgresUrl: database.url,
      adminUrl: admin.url,
      webUrl,
      operationsUrl,
    };
    heraldLogger.info({ code: READY_CODE, ready: report }, 'herald: ready');
  } catch (error) {
    await stopAll();
    throw error;
  }
  // As the standalone apps: SIP, the services, the bus, then PostgreSQL stop within the grace
  // period, telemetry is flushed, exit 0; exit 1 when stopping fails or overruns.
  leaveStopSignalsToHerald();
  exitGracefullyOnSignals({
    name: 'herald',
    graceMs: shared.shutdownGraceMs,
    stop: stopAll,
  });
}

runServiceMain('Herald', main);
