// Helpers shared by the end-to-end scenarios: accounts, devices, commands and their results.
import { randomBytes } from 'node:crypto';
import type { SipResponse } from '#herald/sip';
import type { HeraldTarget } from '../support/herald-target';
import {
  type Carrier,
  type ClientProtocol,
  type Envelope,
  type ReceivedPush,
  SipClient,
  type SipClientOptions,
} from '../support/sip-client';

export const PASSWORD = 'e2e-secret-password';
export const CARRIERS: readonly Carrier[] = ['INFO', 'MESSAGE'];

/** A username no other test of the run uses (lower case, as AORs are). */
export function uniqueUser(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

let commandNumber = 0;
export function commandId(): string {
  commandNumber += 1;
  return `c-${commandNumber}-${randomBytes(3).toString('hex')}`;
}

/** Opens devices on one target and closes them after each test. */
export class Devices {
  private readonly open: SipClient[] = [];

  constructor(private readonly target: () => HeraldTarget) {}

  async account(label: string): Promise<string> {
    const user = uniqueUser(label);
    await this.target().createAccount(user, PASSWORD);
    return user;
  }

  async device(
    user: string,
    protocol: ClientProtocol,
    options: Partial<SipClientOptions> = {},
  ): Promise<SipClient> {
    const target = this.target();
    const client = await SipClient.open({
      protocol,
      server: target.address(protocol),
      domain: target.domain,
      user,
      password: PASSWORD,
      ...options,
    });
    this.open.push(client);
    return client;
  }

  /** A device that REGISTERed with 200. */
  async registered(user: string, protocol: ClientProtocol, options: Partial<SipClientOptions> = {}) {
    const client = await this.device(user, protocol, options);
    expectStatus(await client.register(), 200);
    return client;
  }

  /** A registered device that logged in with `carrier` and got its login.result. */
  async loggedIn(user: string, protocol: ClientProtocol, carrier: Carrier): Promise<SipClient> {
    const client = await this.registered(user, protocol);
    const result = await commandResult(client, { type: 'login', status: 'online' }, carrier);
    expect(result.envelope).toMatchObject({ ok: true, user: client.aor });
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((client) => client.close()));
  }
}

/** A cold start of the target on a busy 2-core machine (a build, initdb or a consumer group join). */
const TARGET_START_TIMEOUT_MS = 300_000;

/** The target a test file runs against (once it started) and the devices it opens on it. */
export interface TargetUnderTest {
  readonly target: () => HeraldTarget;
  readonly devices: Devices;
}

/**
 * Starts the target `start()` brings up before the file's tests and stops it after them; the
 * devices are closed after each test.
 */
export function targetUnderTest(start: () => Promise<HeraldTarget>): TargetUnderTest {
  let started: HeraldTarget | undefined;
  const target = (): HeraldTarget => {
    if (started === undefined) throw new Error('the Herald target did not start');
    return started;
  };
  const devices = new Devices(target);

  beforeAll(async () => {
    started = await start();
  }, TARGET_START_TIMEOUT_MS);
  afterEach(() => devices.closeAll());
  afterAll(async () => {
    await started?.stop();
  });
  return { target, devices };
}

export function expectStatus(response: SipResponse, status: number): void {
  expect(`${response.status} ${response.reason}`).toBe(`${status} ${response.reason}`);
}

/**
 * Sends a command, expects its 200 OK, and waits for its `<type>.result` push (which the device
 * answers); resolves with that push.
 */
export async function commandResult(
  client: SipClient,
  command: Envelope & { id?: string },
  carrier: Carrier,
): Promise<ReceivedPush> {
  const id = command.id ?? commandId();
  const from = client.pushes.length;
  expectStatus(await client.command({ v: 1, ...command, id }, carrier), 200);
  return client.waitForPush((push) => push.envelope?.['re'] === id, undefined, from);
}

/** The first push of `type` from index `from` on whose envelope has these fields. */
export function pushOf(client: SipClient, type: string, fields: Record<string, unknown>, from = 0) {
  return client.waitForPush(
    (push) =>
      push.envelope?.type === type &&
      Object.entries(fields).every(([name, value]) => push.envelope?.[name] === value),
    undefined,
    from,
  );
}
