import { AdminModule, AuthModule, type AuthConfig, RegistrationSweeper } from '#herald/auth-service';
import { InProcessEventBus } from '#herald/bus';
import {
  type CommandReceivedV1,
  registerRequestedV1,
  type RegisterRequestedV1,
  routedCommandRecordV1,
} from '#herald/contracts';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import {
  commandReceived,
  type RegisterFixtureOptions,
  registerRequested,
} from '../../libs/contracts/testing/edge-events';
import { createTestDatabase, createMigratedDataSource } from '../support/database';

export const DOMAIN = 'herald.example';
export const ADMIN_TOKEN = 'test-admin-token';
/** Long enough never to fire during a test: the tests sweep explicitly. */
const MANUAL_SWEEP_INTERVAL_MS = 3_600_000;
const WAIT_TIMEOUT_MS = 10_000;
const WAIT_POLL_MS = 20;

/**
 * The auth module on a fresh database of the real PostgreSQL, with the in-process bus, and the
 * admin API beside it on a port of its own (as auth's main.ts serves them).
 */
export class AuthHarness {
  readonly records: Array<{ topic: string; event: Record<string, unknown> }> = [];

  private constructor(
    readonly app: INestApplication,
    readonly adminApp: INestApplication,
    readonly bus: InProcessEventBus,
    readonly dataSource: DataSource,
    readonly databaseUrl: string,
    /** The admin API's origin: `http://127.0.0.1:<port>`. */
    readonly baseUrl: string,
  ) {}

  static async start(config: Partial<AuthConfig> = {}): Promise<AuthHarness> {
    const databaseUrl = await createTestDatabase();
    const dataSource = await createMigratedDataSource({ url: databaseUrl });
    const bus = new InProcessEventBus();
    const authConfig: AuthConfig = {
      domain: DOMAIN,
      maxExpiresSeconds: 7200,
      sweepIntervalMs: MANUAL_SWEEP_INTERVAL_MS,
      sweepBatchSize: 2,
      adminToken: ADMIN_TOKEN,
      ...config,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [AuthModule.register({ bus, dataSource, config: authConfig, consumeLegacyTopics: false })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    const adminRef = await Test.createTestingModule({
      imports: [AdminModule.register({ bus, dataSource, config: authConfig })],
    }).compile();
    const adminApp = adminRef.createNestApplication({ logger: ['error'] });
    await adminApp.listen(0, '127.0.0.1');
    const address = adminApp.getHttpServer().address() as { port: number };
    const harness = new AuthHarness(
      app,
      adminApp,
      bus,
      dataSource,
      databaseUrl,
      `http://127.0.0.1:${address.port}`,
    );
    await bus.subscribe({
      groupId: 'test-observer',
      topics: [
        'edge.edge-0.outbound.v1',
        'auth.device-registered.v1',
        'auth.device-unregistered.v1',
        'auth.session-started.v1',
        'auth.session-ended.v1',
      ],
      handler: async (record) => {
        harness.records.push({ topic: record.topic, event: JSON.parse(record.value.toString('utf8')) });
      },
    });
    return harness;
  }

  async stop(): Promise<void> {
    await this.adminApp.close();
    await this.app.close();
    await this.bus.close();
    await this.dataSource.destroy();
  }

  sweeper(): RegistrationSweeper {
    return this.app.get(RegistrationSweeper);
  }

  async send(event: RegisterRequestedV1 | CommandReceivedV1): Promise<void> {
    const record =
      event.type === 'sip.register-requested'
        ? registerRequestedV1.record(event)
        : routedCommandRecordV1(event);
    await this.bus.publish([record]);
  }

  /** Events of `topic` (and, for the edge topic, of `type`) seen so far. */
  events(topic: string, type?: string): Array<Record<string, unknown>> {
    return this.records
      .filter((r) => r.topic === topic && (type === undefined || r.event['type'] === type))
      .map((r) => r.event);
  }

  decisions(): Array<Record<string, unknown>> {
    return this.events('edge.edge-0.outbound.v1', 'register.decided');
  }

  /** Push bodies delivered to a device, parsed. */
  pushes(deviceId: string): Array<Record<string, unknown>> {
    return this.events('edge.edge-0.outbound.v1', 'push.requested')
      .filter((e) => e['deviceId'] === deviceId)
      .map((e) => JSON.parse(String(e['body'])));
  }

  /** Waits until `probe` returns a defined value. */
  async until<T>(probe: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }

  /** Waits for the `count`-th decision and returns it. */
  decision(count: number): Promise<Record<string, unknown>> {
    return this.until(() => this.decisions()[count - 1], `register decision #${count}`);
  }

  async admin(method: string, path: string, body?: unknown, token = ADMIN_TOKEN) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  }
}

export type RegisterOptions = Omit<RegisterFixtureOptions, 'domain' | 'username'> & { username?: string };

/**
 * A REGISTER of `username` (alice) at DOMAIN, as the edge forwards it, over UDP from the port its
 * first Contact names (a UDP address carries one device, protocol.md §1: two devices sending
 * from one would supersede each other).
 */
export function registerRequest(options: RegisterOptions): RegisterRequestedV1 {
  const request = registerRequested({ ...options, domain: DOMAIN, username: options.username ?? 'alice' });
  const port = /@[^:;>]+:(\d+)/.exec(request.contacts[0]?.uri ?? '')?.[1];
  return port === undefined
    ? request
    : {
        ...request,
        source: { address: '127.0.0.1', port: Number(port) },
        flowId: `udp:5060:127.0.0.1:${port}`,
      };
}

/** A command from a registered device as the edge forwards it. */
export function commandFrom(
  deviceId: string,
  envelope: { id: string; type: string } & Record<string, unknown>,
  carrier: 'INFO' | 'MESSAGE' = 'INFO',
  aor = `sip:alice@${DOMAIN}`,
): CommandReceivedV1 {
  return commandReceived(
    { aor, deviceId, contact: 'sip:alice@127.0.0.1:5070', flowId: 'udp:5060:127.0.0.1:5070' },
    envelope,
    carrier,
  );
}
