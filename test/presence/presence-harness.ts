import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type EventBus, InProcessEventBus, type SubscriptionHandle } from '#herald/bus';
import {
  commandReceivedV1,
  deviceUnregisteredV1,
  edgeOutboundTopic,
  edgeOutboundV1,
  PRESENCE_STATUS_CHANGED_V1,
  routedCommandRecordV1,
  type DeviceStatus,
  sessionEndedV1,
  sessionStartedV1,
  type StatusChangedV1,
  statusChangedV1,
} from '#herald/contracts';
import type { DataSource } from 'typeorm';
import { DEFAULT_PRESENCE_CONFIG, PresenceModule } from '#herald/presence-service';
import { deviceRegisteredRecord, insertAccount, insertDevice, tcpTestBinding } from '../auth/auth-rows';
import { createTestDatabase, createMigratedDataSource } from '../support/database';

export const DOMAIN = 'herald.example';
const EDGE_ID = 'edge-0';
/** How long a test waits for presence to react before it fails (default). */
const REACTION_TIMEOUT_MS = 10_000;

export interface PresenceHarnessOptions {
  /** Default: the in-process bus. */
  bus?: EventBus;
  /** How long a test waits for presence to react (default 10 s); Kafka needs group joins first. */
  reactionTimeoutMs?: number;
}
const POLL_INTERVAL_MS = 20;

export interface Pushed {
  aor: string;
  deviceId: string;
  body: Record<string, unknown>;
}

/**
 * PresenceModule as in production (Nest, real PostgreSQL with the migrations) on the in-process
 * bus. The test plays the edge (reads push.requested) and auth (accounts, registrations and
 * sessions rows written with auth's repositories, session and device events).
 */
export class PresenceHarness {
  private users = 0;
  private commands = 0;

  private constructor(
    /** Every push.requested the edge got, in order. */
    readonly pushes: Pushed[],
    readonly statusChanges: StatusChangedV1[],
    readonly dataSource: DataSource,
    private readonly bus: EventBus,
    private readonly app: INestApplicationContext,
    private readonly observer: SubscriptionHandle,
    private readonly reactionTimeoutMs: number,
  ) {}

  static async start(options: PresenceHarnessOptions = {}): Promise<PresenceHarness> {
    const dataSource = await createMigratedDataSource({ url: await createTestDatabase('presence') });
    const bus = options.bus ?? new InProcessEventBus();
    const app = await NestFactory.createApplicationContext(
      PresenceModule.register({
        bus,
        dataSource,
        config: DEFAULT_PRESENCE_CONFIG,
        consumeLegacyTopics: false,
      }),
      { logger: ['error', 'warn'] },
    );
    await app.init();
    const pushes: Pushed[] = [];
    const statusChanges: StatusChangedV1[] = [];
    const observer = await bus.subscribe({
      groupId: 'test-observer',
      topics: [edgeOutboundTopic(EDGE_ID), PRESENCE_STATUS_CHANGED_V1],
      handler: async (record) => {
        if (record.topic === PRESENCE_STATUS_CHANGED_V1) {
          statusChanges.push(statusChangedV1.decode(record.value));
          return;
        }
        const event = edgeOutboundV1.decode(record.value);
        if (event.type === 'push.requested') {
          pushes.push({ aor: event.aor, deviceId: event.deviceId, body: JSON.parse(event.body) });
        }
      },
    });
    return new PresenceHarness(
      pushes,
      statusChanges,
      dataSource,
      bus,
      app,
      observer,
      options.reactionTimeoutMs ?? REACTION_TIMEOUT_MS,
    );
  }

  async stop(): Promise<void> {
    await this.observer.stop();
    await this.app.close();
    await this.bus.close();
    await this.dataSource.destroy();
  }

  /** A fresh user with an account (names are made unique per test). */
  async user(name: string): Promise<string> {
    const aor = `sip:${name}${++this.users}@${DOMAIN}`;
    await insertAccount(this.dataSource, aor);
    return aor;
  }

  /** A registered device; with a status it is also logged in and auth's session-started is published. */
  async device(aor: string, deviceId: string, status?: DeviceStatus, note?: string): Promise<void> {
    const session = status === undefined ? undefined : { carrier: 'INFO' as const, status };
    await insertDevice(this.dataSource, { aor, deviceId, edgeId: EDGE_ID, session });
    if (status !== undefined) {
      const before = this.pushesTo(deviceId).length;
      await this.publishSessionStarted(aor, deviceId, status, note);
      // Topics are consumed concurrently: wait for the login snapshot so later commands come after it.
      await this.waitFor(() =>
        this.pushesTo(deviceId)
          .slice(before)
          .find((body) => body['type'] === 'roster'),
      );
    }
  }

  /** Makes two users with logged-in devices accepted buddies. */
  async buddies(a: string, aDevice: string, b: string, bDevice: string): Promise<void> {
    expect(await this.commandResult(a, aDevice, { type: 'roster.add', uri: b })).toMatchObject({ ok: true });
    expect(
      await this.commandResult(b, bDevice, { type: 'buddy.answer', from: a, accept: true }),
    ).toMatchObject({
      ok: true,
    });
  }

  /** What auth publishes at login, decided at `decidedAt` (default now). */
  async publishSessionStarted(
    aor: string,
    deviceId: string,
    status: DeviceStatus,
    note?: string,
    decidedAt?: Date,
  ): Promise<void> {
    const fields = {
      aor,
      deviceId,
      carrier: 'INFO' as const,
      status,
      ...(note === undefined ? {} : { note }),
    };
    await this.bus.publish([sessionStartedV1.record(sessionStartedV1.build(fields, decidedAt))]);
  }

  /** What auth publishes for a new binding of a device, decided at `decidedAt` (default now). */
  async publishDeviceRegistered(aor: string, deviceId: string, decidedAt?: Date): Promise<void> {
    await this.bus.publish([deviceRegisteredRecord(aor, deviceId, EDGE_ID, decidedAt)]);
  }

  /** What auth publishes at logout. */
  async publishSessionEnded(aor: string, deviceId: string): Promise<void> {
    await this.bus.publish([
      sessionEndedV1.record(sessionEndedV1.build({ aor, deviceId, carrier: 'INFO', reason: 'logout' })),
    ]);
  }

  /** What auth publishes when a binding expires. */
  async publishDeviceUnregistered(aor: string, deviceId: string): Promise<void> {
    await this.bus.publish([
      deviceUnregisteredV1.record(deviceUnregisteredV1.build({ aor, deviceId, reason: 'expired' })),
    ]);
  }

  /** What the edge publishes for a command; returns the command id. */
  async command(aor: string, deviceId: string, fields: Record<string, unknown>, id = `c-${++this.commands}`) {
    const now = new Date().toISOString();
    await this.bus.publish([
      routedCommandRecordV1(
        commandReceivedV1.build({
          ...tcpTestBinding(deviceId, EDGE_ID),
          aor,
          carrier: 'INFO',
          callId: `call-${id}`,
          receivedAt: now,
          envelope: { v: 1, id, type: String(fields['type']), ...fields },
        }),
      ),
    ]);
    return id;
  }

  /** Sends a command and waits for its result on the sending device. */
  async commandResult(aor: string, deviceId: string, fields: Record<string, unknown>, id?: string) {
    const sent = await this.command(aor, deviceId, fields, id);
    const before = this.resultsFor(deviceId, sent).length;
    return this.waitFor(() => {
      const results = this.resultsFor(deviceId, sent);
      return results.length > before ? results.at(-1) : undefined;
    });
  }

  resultsFor(deviceId: string, commandId: string): Array<Record<string, unknown>> {
    return this.pushesTo(deviceId).filter((body) => body['re'] === commandId);
  }

  /**
   * Every push presence published to the device so far, once all have arrived: the result of a
   * refused command (presence.set without a status: no effect, nothing else pushed) is published
   * after them with the same key (the AOR), so it arrives after them (per-key order); the pushes
   * before it are returned. What a test says must NOT have been pushed, by something whose result
   * or effect it already saw, is then really absent.
   */
  async pushesUpToNow(aor: string, deviceId: string): Promise<Array<Record<string, unknown>>> {
    const marker = await this.commandResult(aor, deviceId, { type: 'presence.set' });
    expect(marker).toMatchObject({ ok: false, error: expect.objectContaining({ code: 'bad-request' }) });
    const pushes = this.pushesTo(deviceId);
    return pushes.slice(0, pushes.indexOf(marker));
  }

  pushesTo(deviceId: string): Array<Record<string, unknown>> {
    return this.pushes.filter((p) => p.deviceId === deviceId).map((p) => p.body);
  }

  /** Waits until presence stored `mode` for a device: the effect of an event that pushes nothing. */
  async waitForDeviceMode(aor: string, deviceId: string, mode: 'plain' | 'session' | 'ended'): Promise<void> {
    const deadline = Date.now() + this.reactionTimeoutMs;
    for (;;) {
      const rows: Array<{ mode: string }> = await this.dataSource.query(
        `SELECT mode FROM presence_devices WHERE aor = $1 AND device_id = $2`,
        [aor, deviceId],
      );
      if (rows[0]?.mode === mode) return;
      if (Date.now() > deadline)
        throw new Error(`${deviceId} not ${mode} within ${this.reactionTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  async waitFor<T>(probe: () => T | undefined): Promise<T> {
    const deadline = Date.now() + this.reactionTimeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`condition not met within ${this.reactionTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  async rosterRows(owner: string): Promise<Array<{ buddy_aor: string; state: string }>> {
    return this.dataSource.query(
      `SELECT buddy_aor, state FROM roster_entries WHERE owner_aor = $1 ORDER BY buddy_aor`,
      [owner],
    );
  }
}
