// One user of the scale-out and chaos tests as a careful client application: one device at a time
// (UDP, TCP or WS), registered with a short expiry and refreshed, logged in, re-sending a command
// with the same id until it gets 200 OK (protocol.md §3), registering and logging in again when its
// registration lapsed (401) or its connection was lost, re-sending after such a new login the
// commands whose results it never saw (docs/protocol.md §7), and moving to another edge when told
// its edge died.
import { randomBytes } from 'node:crypto';
import type { DeviceStatus } from '#herald/contracts';
import { type SipResponse, type TransportAddress, TransportError } from '#herald/sip';
import {
  type ClientProtocol,
  type Envelope,
  type ReceivedPush,
  SipClient,
  SipClientError,
} from '../support/sip-client';

export interface SimulatedUserSettings {
  domain: string;
  password: string;
  /** Expires of every REGISTER (the test's HERALD_MAX_EXPIRES or less). */
  expiresSeconds: number;
  /** The client's own RFC 3261 T1: Timer F = 64*T1 must outlast the edge's REGISTER decision timeout. */
  clientT1Ms: number;
}

/** Pause before re-sending after a timeout or a transport error. */
const RESEND_DELAY_MS = 300;
/** Retry-After when a 503 names none. */
const DEFAULT_RETRY_AFTER_MS = 1_000;
/** How long one login waits for its login.result before it is re-sent (same id). */
const LOGIN_RESULT_WAIT_MS = 15_000;
/**
 * A refresh answered this close to its binding's expiry may have found it lapsed: log in again
 * (the margin covers the clocks of auth and this process, read at different moments).
 */
const EXPIRY_SAFETY_MS = 2_000;

export class ScaleOutError extends Error {
  readonly code = 'SCALE_OUT_UNEXPECTED';
}

let commandNumber = 0;
function newCommandId(user: string): string {
  commandNumber += 1;
  return `${user}-${commandNumber}-${randomBytes(3).toString('hex')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The final response, or undefined when the transaction timed out or the flow failed. */
async function finalResponse(send: () => Promise<SipResponse>): Promise<SipResponse | undefined> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof SipClientError && error.code !== 'SIP_CLIENT_UNEXPECTED') return undefined;
    throw error;
  }
}

function isConnectionRefused(error: unknown): boolean {
  // A WebSocket that cannot open tells no errno: its flow fails with a TransportError 'socket-error'.
  if (error instanceof TransportError) return error.code === 'socket-error';
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET';
}

function isError(envelope: Envelope | undefined, code: string): boolean {
  const error = envelope?.['error'];
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function retryAfterMs(response: SipResponse): number {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS;
}

export class SimulatedUser {
  readonly aor: string;
  /** Every device this user had, in order (the pushes of all of them are what the application saw). */
  readonly devices: SipClient[] = [];
  /**
   * When each device got its ok login.results (performance.now(), the clock of push arrivals).
   * Before the first a registered device is a plain SIP device to Herald (protocol.md §7).
   */
  readonly logins = new Map<SipClient, number[]>();
  /**
   * From when each device's binding may have lapsed: the earliest expiry of a binding that a later
   * REGISTER was answered past. A REGISTER after it may have made a new binding, a plain SIP device
   * until its next login (protocol.md §5 counts the expiry as a logout), so the device logs in
   * again. Even one the client saw fail: auth may have committed it and then failed to publish its
   * decision, so the edge answered 503.
   */
  readonly rebinds = new Map<SipClient, number[]>();
  /** The status the current device last set with a 200 OK (login counts). */
  status: DeviceStatus = 'online';
  private device: SipClient | undefined;
  private sessionNeeded = true;
  /**
   * Commands answered 200 OK (other than login and logout) whose result no device of this user
   * has seen yet: re-sent, same id, after each new login. A result pushed while the flow was being
   * replaced (its edge killed, a registration not yet bound on the restarted edge) reached no one;
   * the re-sent command gets the stored result (protocol.md §3: once per AOR and id).
   */
  private readonly awaitingResults = new Map<string, Envelope>();
  /**
   * When the last accepted REGISTER was sent (performance.now()). Auth counts its binding's expiry
   * from when it decided it, which is later, so the binding held until registeredAt + expires.
   */
  private registeredAt = 0;

  constructor(
    readonly name: string,
    private server: TransportAddress,
    private readonly settings: SimulatedUserSettings,
    readonly protocol: ClientProtocol = 'udp',
  ) {
    this.aor = `sip:${name}@${settings.domain}`;
  }

  /** The device commands go out on now (undefined before the first connect or after a drop). */
  get currentDevice(): SipClient | undefined {
    return this.device;
  }

  /** A fresh command id of this user (ids are unique per sender, protocol.md §3). */
  newCommandId(): string {
    return newCommandId(this.name);
  }

  /** Its edge died: the next operation opens a device on `server`, registers and logs in there. */
  moveTo(server: TransportAddress): Promise<void> {
    this.server = server;
    const dead = this.device;
    this.device = undefined;
    // Closing fails the transactions still waiting on the dead edge at their next retransmission.
    return dead?.close() ?? Promise.resolve();
  }

  /**
   * The device vanishes without a word (its network went away): its flow closes, nothing is
   * unregistered, pushes to it go unanswered. The next operation opens a new device.
   */
  dropDevice(): Promise<void> {
    const gone = this.device;
    this.device = undefined;
    return gone?.close() ?? Promise.resolve();
  }

  /**
   * Logs out as protocol.md §2 says (logout until 200 OK, then REGISTER Expires: 0) and closes the
   * device; false when the logout was not accepted by the deadline. The next operation logs in again.
   */
  async logout(deadline: number): Promise<boolean> {
    const device = await this.loggedInDevice(deadline);
    if (device === undefined) return false;
    const envelope = { v: 1, id: this.newCommandId(), type: 'logout' };
    for (;;) {
      if (Date.now() >= deadline || device !== this.device) return false;
      const sent = await this.send(device, envelope);
      if (sent === 'accepted') break;
      if (sent === 'unregistered') return false;
    }
    await finalResponse(() => device.unregister());
    await this.dropDevice();
    return true;
  }

  /** Registers and logs in (the first time, or again); false when that did not happen by the deadline. */
  async connect(deadline: number): Promise<boolean> {
    return (await this.loggedInDevice(deadline)) !== undefined;
  }

  /** The `<type>.result` of command `id`, as the current device receives it. */
  async result(id: string, timeoutMs: number): Promise<Envelope> {
    const device = this.device;
    if (device === undefined) throw new ScaleOutError(`${this.name} has no device to wait on`);
    const push = await device.waitForPush((candidate) => candidate.envelope?.['re'] === id, timeoutMs);
    return push.envelope!;
  }

  /** Sends `envelope` with id `id` until 200 OK or the deadline; true when it was accepted. */
  async command(envelope: Envelope, deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      const device = await this.loggedInDevice(deadline);
      if (device === undefined) return false;
      if ((await this.send(device, envelope)) === 'accepted') {
        this.awaitingResults.set(String(envelope['id']), envelope);
        return true;
      }
    }
    return false;
  }

  /** Refreshes the registration; a refresh that may have come after the binding lapsed logs in again. */
  async refresh(deadline: number): Promise<void> {
    const device = await this.loggedInDevice(deadline);
    if (device === undefined) return;
    const sentAt = performance.now();
    const response = await finalResponse(() => device.refresh(this.settings.expiresSeconds));
    if (response?.status !== 200) return;
    // Auth decided this refresh before its 200 OK arrived, and the edge waits up to its REGISTER
    // timeout (2.5 s in the soak) for that decision: the send time alone cannot tell a refresh
    // decided after the old binding expired (seed 2026120614's text/plain after login.result).
    this.noteLapseIfPastExpiry(device);
    this.registeredAt = sentAt;
  }

  /** Every push of `type` any of this user's devices received, with its first arrival time. */
  pushesOf(type: string): { envelope: Envelope; arrivedAt: number }[] {
    return this.devices.flatMap((device) =>
      device.pushes.flatMap((push: ReceivedPush) =>
        push.envelope?.type === type ? [{ envelope: push.envelope, arrivedAt: push.arrivals[0]! }] : [],
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.devices.map((device) => device.close()));
  }

  /** One attempt: `again` after a timeout or 503 (having waited), `unregistered` after a 401. */
  private async send(device: SipClient, envelope: Envelope): Promise<'accepted' | 'again' | 'unregistered'> {
    const response = await finalResponse(() => device.command(envelope, 'INFO'));
    if (response === undefined) {
      await sleep(RESEND_DELAY_MS);
      return 'again';
    }
    switch (response.status) {
      case 200:
        return 'accepted';
      case 401:
        // The edge no longer holds a registration for this flow: register and log in again. Past
        // the binding's earliest expiry that is a lapse (seed 2026120707: refreshes held back by
        // a broker restart), and the commands accepted before it may be refused unseen.
        this.sessionNeeded = true;
        this.noteLapseIfPastExpiry(device);
        return 'unregistered';
      case 503:
        await sleep(retryAfterMs(response));
        return 'again';
      default:
        throw new ScaleOutError(
          `${this.name} ${String(envelope.type)}: ${response.status} ${response.reason}`,
        );
    }
  }

  /**
   * Something answered now for the binding (a refresh's 200, a command's 401) past its earliest
   * expiry: it may have lapsed, which ends the session (protocol.md §5). Logs in again, and
   * records since when the device may have been logged out.
   */
  private noteLapseIfPastExpiry(device: SipClient): void {
    const mayHaveLapsedAt = this.registeredAt + this.settings.expiresSeconds * 1000 - EXPIRY_SAFETY_MS;
    if (performance.now() > mayHaveLapsedAt) {
      this.sessionNeeded = true;
      this.rebinds.set(device, [...(this.rebinds.get(device) ?? []), mayHaveLapsedAt]);
    }
  }

  /** The current device, registered and logged in (both redone as needed); undefined past the deadline. */
  private async loggedInDevice(deadline: number): Promise<SipClient | undefined> {
    while (Date.now() < deadline) {
      // A connection the edge closed (it died or restarted) is replaced by a new one.
      if (this.device?.closed === true) this.device = undefined;
      if (this.device === undefined) {
        const opened = await this.openDevice();
        if (opened === undefined) {
          await sleep(RESEND_DELAY_MS);
          continue;
        }
        this.device = opened;
        this.devices.push(this.device);
        this.sessionNeeded = true;
      }
      const device = this.device;
      if (!this.sessionNeeded) return device;
      if ((await this.register(device, deadline)) && (await this.login(device, deadline))) {
        // A move while logging in leaves this device behind: the loop starts over on the new one.
        if (device === this.device)
          this.sessionNeeded = !(await this.resendAwaitingResults(device, deadline));
      }
    }
    return undefined;
  }

  /**
   * After a login: re-sends each accepted command whose result no device saw, until 200 OK. False
   * when the device lost its registration (or was replaced) meanwhile: log in and re-send again.
   */
  private async resendAwaitingResults(device: SipClient, deadline: number): Promise<boolean> {
    for (const [id, envelope] of this.awaitingResults) {
      if (this.resultSeen(id)) {
        this.awaitingResults.delete(id);
        continue;
      }
      for (;;) {
        if (Date.now() >= deadline || device !== this.device) return false;
        const sent = await this.send(device, envelope);
        if (sent === 'accepted') break;
        if (sent === 'unregistered') return false;
      }
    }
    return true;
  }

  private resultSeen(id: string): boolean {
    return this.devices.some((device) => device.pushes.some((push) => push.envelope?.['re'] === id));
  }

  /** A new device, or undefined when its connection was refused (the edge is restarting). */
  private async openDevice(): Promise<SipClient | undefined> {
    try {
      return await SipClient.open({
        protocol: this.protocol,
        server: this.server,
        domain: this.settings.domain,
        user: this.name,
        password: this.settings.password,
        t1Ms: this.settings.clientT1Ms,
      });
    } catch (error) {
      if (this.protocol !== 'udp' && isConnectionRefused(error)) return undefined;
      throw error;
    }
  }

  private async register(device: SipClient, deadline: number): Promise<boolean> {
    while (Date.now() < deadline && device === this.device) {
      const sentAt = performance.now();
      const response = await finalResponse(() => device.register({ expires: this.settings.expiresSeconds }));
      if (response?.status === 200) {
        this.registeredAt = sentAt;
        return true;
      }
      if (response?.status === 503) {
        await sleep(retryAfterMs(response));
      } else if (response === undefined || response.status === 401) {
        // A 401 to an answered challenge: the edge took a late retransmission for a replayed
        // nonce count (its transaction was gone). A fresh challenge is the way on.
        await sleep(RESEND_DELAY_MS);
      } else {
        throw new ScaleOutError(`${this.name} REGISTER: ${response.status} ${response.reason}`);
      }
    }
    return false;
  }

  /** Logs in with the current status and waits for an ok login.result (re-sending the same id). */
  private async login(device: SipClient, deadline: number): Promise<boolean> {
    const id = newCommandId(this.name);
    const envelope = { v: 1, id, type: 'login', status: this.status };
    while (Date.now() < deadline && device === this.device) {
      const sent = await this.send(device, envelope);
      if (sent === 'unregistered') return false;
      if (sent === 'again') continue;
      const result = await device
        .waitForPush((push) => push.envelope?.['re'] === id, LOGIN_RESULT_WAIT_MS)
        .catch((error: unknown) => {
          if (error instanceof SipClientError && error.code === 'SIP_CLIENT_TIMEOUT') return undefined;
          throw error;
        });
      if (result === undefined) continue;
      // The binding lapsed before the login was handled (a broker restart held it longer than
      // the expiry): register again, as a client does when told its device is not registered.
      if (isError(result.envelope, 'not-allowed')) return false;
      if (result.envelope?.['ok'] !== true) {
        throw new ScaleOutError(`${this.name} login refused: ${JSON.stringify(result.envelope)}`);
      }
      this.logins.set(device, [...(this.logins.get(device) ?? []), result.arrivals[0]!]);
      return true;
    }
    return false;
  }
}
