import type { Carrier, CarrierFactory, PushAnswer } from './carrier';
import { Emitter } from './emitter';
import { HeraldClientError, HeraldCommandError } from './errors';
import {
  type CommandFields,
  type CommandResult,
  type CommandType,
  type DeviceStatus,
  ENVELOPE_CONTENT_TYPE,
  type Profile,
  PROTOCOL_VERSION,
  PUSH_TYPES,
  type PushMap,
  type PushType,
  type ResultError,
} from './protocol';
import { RecentIds } from './recent-ids';
import { type ReconnectPolicy, reconnectDelay } from './reconnect-delay';

/**
 * `idle`: not connected yet (or the first connect failed); `connecting`: first connect;
 * `online`: registered and logged in; `reconnecting`: the connection dropped, retrying;
 * `closed`: disconnect() was called.
 */
export type ConnectionState = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'closed';

export interface StateChange {
  state: ConnectionState;
  /** Why the connection dropped or an attempt failed, when it did. */
  reason?: string;
}

export interface LoginResult {
  user: string;
  profile: Profile;
}

/** The events of a HeraldClient: every push type of protocol.md §5, plus the client's own. */
export interface HeraldClientEvents extends PushMap {
  state: StateChange;
  /** Each successful login, the first and those after a reconnect. */
  login: LoginResult;
  /** A push the client could not use (answered 400) or a failure with no command to report it to. */
  error: Error;
}

export interface HeraldClientOptions {
  /** The SIP flow, e.g. `sipJsCarrier({ server, domain, user, password })`. */
  carrier: CarrierFactory;
  /** Fields of the login command; the status and note follow later `presence.set`s (kept for re-login). */
  login?: CommandFields<'login'>;
  reconnect?: ReconnectPolicy;
  /** Command ids; random by default. */
  newId?: () => string;
}

interface PendingCommand {
  type: CommandType;
  body: string;
  /** Re-sent (same id) after a reconnect; false for login, which belongs to one connection. */
  resend: boolean;
  resolve: (result: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

/**
 * A Herald device: registers, logs in, sends commands (a promise of each result), receives pushes
 * (answered, de-duplicated by id, emitted by type) and reconnects after a dropped connection,
 * registering and logging in again and re-sending unanswered commands with their ids (Herald runs
 * each id once).
 */
export class HeraldClient extends Emitter<HeraldClientEvents> {
  private carrier: Carrier | undefined;
  private currentState: ConnectionState = 'idle';
  private readonly pending = new Map<string, PendingCommand>();
  private readonly seenPushes = new RecentIds();
  private loginFields: CommandFields<'login'>;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly newId: () => string;

  constructor(private readonly options: HeraldClientOptions) {
    super();
    this.loginFields = { ...options.login };
    this.newId = options.newId ?? randomId;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Registers and logs in; resolves with the login result. */
  async connect(): Promise<LoginResult> {
    if (this.currentState !== 'idle') {
      throw new HeraldClientError('HERALD_NOT_CONNECTED', `connect() while ${this.currentState}`);
    }
    this.setState({ state: 'connecting' });
    try {
      return await this.openSession();
    } catch (error) {
      this.setState({ state: 'idle', reason: messageOf(error) });
      throw error;
    }
  }

  /** Sends a command; resolves with its result fields, rejects with HeraldCommandError or HeraldClientError. */
  command<T extends CommandType>(type: T, fields: CommandFields<T>): Promise<CommandResult<T>> {
    if (this.currentState === 'idle' || this.currentState === 'closed') {
      return Promise.reject(
        new HeraldClientError('HERALD_NOT_CONNECTED', `${type} while ${this.currentState}`),
      );
    }
    const id = this.newId();
    return new Promise((resolve, reject) => {
      const command: PendingCommand = {
        type,
        body: JSON.stringify({ ...fields, v: PROTOCOL_VERSION, id, type }),
        resend: true,
        resolve: (result) => {
          if (type === 'presence.set') this.rememberPresence(fields as CommandFields<'presence.set'>);
          resolve(result as CommandResult<T>);
        },
        reject,
      };
      this.pending.set(id, command);
      // While reconnecting it waits: the session that comes back sends it.
      if (this.currentState === 'online' && this.carrier !== undefined)
        this.transmit(id, command, this.carrier);
    });
  }

  sendIm(to: string, text: string): Promise<CommandResult<'im.send'>> {
    return this.command('im.send', { to, text });
  }

  setPresence(status: DeviceStatus, note?: string): Promise<CommandResult<'presence.set'>> {
    return this.command('presence.set', note === undefined ? { status } : { status, note });
  }

  /** Logs out, unregisters and closes; pending commands are rejected. */
  async disconnect(): Promise<void> {
    const carrier = this.carrier;
    const wasOnline = this.currentState === 'online';
    clearTimeout(this.reconnectTimer);
    if (wasOnline) {
      try {
        await this.command('logout', {});
      } finally {
        this.shutDown();
      }
    } else {
      this.shutDown();
    }
    if (carrier !== undefined) await carrier.close();
  }

  private shutDown(): void {
    this.carrier = undefined;
    this.rejectPending(() => true, new HeraldClientError('HERALD_CLOSED', 'the client was disconnected'));
    this.setState({ state: 'closed' });
  }

  private async openSession(): Promise<LoginResult> {
    const carrier = this.options.carrier({
      onPush: (body, contentType) => this.receive(body, contentType),
      onLost: (reason) => this.lost(carrier, reason),
    });
    this.carrier = carrier;
    try {
      await carrier.open();
      const login = await this.loginOn(carrier);
      this.setState({ state: 'online' });
      this.emit('login', login);
      for (const [id, command] of this.pending) if (command.resend) this.transmit(id, command, carrier);
      return login;
    } catch (error) {
      if (this.carrier === carrier) this.carrier = undefined;
      await carrier.close().catch((closeError: unknown) => this.emit('error', asError(closeError)));
      throw error;
    }
  }

  private loginOn(carrier: Carrier): Promise<LoginResult> {
    const id = this.newId();
    return new Promise((resolve, reject) => {
      const command: PendingCommand = {
        type: 'login',
        body: JSON.stringify({ ...this.loginFields, v: PROTOCOL_VERSION, id, type: 'login' }),
        resend: false,
        resolve: (result) => resolve(result as unknown as LoginResult),
        reject,
      };
      this.pending.set(id, command);
      this.transmit(id, command, carrier);
    });
  }

  /** Sends one command; a lost connection keeps it for the next session, Retry-After re-sends it. */
  private transmit(id: string, command: PendingCommand, carrier: Carrier): void {
    carrier.send(command.body).catch((error: unknown) => {
      if (!this.pending.has(id)) return;
      if (this.carrier !== carrier) {
        // The connection dropped meanwhile: a re-sendable command goes again after the reconnect.
        if (!command.resend) this.settle(id, command, asError(error));
        return;
      }
      if (error instanceof HeraldClientError && error.retryAfterSeconds !== undefined) {
        setTimeout(() => {
          if (this.pending.has(id) && this.carrier === carrier) this.transmit(id, command, carrier);
        }, error.retryAfterSeconds * 1000);
        return;
      }
      if (error instanceof HeraldClientError && isConnectionFailure(error)) {
        this.lost(carrier, error.message);
        if (!command.resend) this.settle(id, command, error);
        return;
      }
      this.settle(id, command, asError(error));
    });
  }

  private settle(id: string, command: PendingCommand, error: Error): void {
    this.pending.delete(id);
    command.reject(error);
  }

  private receive(body: string, contentType: string | undefined): PushAnswer {
    if (contentType?.split(';')[0]?.trim().toLowerCase() !== ENVELOPE_CONTENT_TYPE) {
      return { status: 415, reason: 'Unsupported Media Type' };
    }
    let push: unknown;
    try {
      push = JSON.parse(body);
    } catch {
      // JSON.parse's message names an offset; the push is simply not an envelope.
      return this.badPush('push body is not JSON');
    }
    if (!isRecord(push) || typeof push['id'] !== 'string' || typeof push['type'] !== 'string') {
      return this.badPush('push is not an envelope with id and type');
    }
    if (!this.seenPushes.firstSeen(push['id'])) return { status: 200 };
    const type = push['type'];
    if (type.endsWith('.result')) this.result(push);
    else if ((PUSH_TYPES as readonly string[]).includes(type)) this.emit(type as PushType, push as never);
    // Any other type is a later protocol extension: accepted and ignored (protocol.md: extending is fine).
    return { status: 200 };
  }

  private result(push: Record<string, unknown>): void {
    const re = push['re'];
    const command = typeof re === 'string' ? this.pending.get(re) : undefined;
    // A result of a command settled before (its re-send's result comes again) has no waiter.
    if (command === undefined || typeof re !== 'string') return;
    this.pending.delete(re);
    if (push['ok'] === true) {
      command.resolve(withoutEnvelope(push));
      return;
    }
    const error = push['error'] as ResultError | undefined;
    command.reject(
      new HeraldCommandError(command.type, error?.code ?? 'internal', error?.message ?? 'no error given'),
    );
  }

  private badPush(message: string): PushAnswer {
    this.emit('error', new HeraldClientError('HERALD_BAD_PUSH', message));
    return { status: 400, reason: `Bad Request (${message})` };
  }

  private lost(carrier: Carrier, reason: string): void {
    if (this.carrier !== carrier) return;
    this.carrier = undefined;
    this.rejectPending((command) => !command.resend, new HeraldClientError('HERALD_NOT_CONNECTED', reason));
    carrier.close().catch((error: unknown) => this.emit('error', asError(error)));
    // A drop during the first connect fails connect(); only an established session reconnects.
    if (this.currentState === 'online') this.scheduleReconnect(0, reason);
  }

  private scheduleReconnect(attempt: number, reason: string): void {
    this.setState({ state: 'reconnecting', reason });
    this.reconnectTimer = setTimeout(
      () => {
        this.openSession().catch((error: unknown) => {
          if (this.currentState === 'reconnecting') this.scheduleReconnect(attempt + 1, messageOf(error));
        });
      },
      reconnectDelay(attempt, this.options.reconnect),
    );
  }

  private rejectPending(which: (command: PendingCommand) => boolean, error: Error): void {
    for (const [id, command] of this.pending) if (which(command)) this.settle(id, command, error);
  }

  private rememberPresence(fields: CommandFields<'presence.set'>): void {
    this.loginFields = { ...this.loginFields, status: fields.status, note: fields.note };
  }

  private setState(change: StateChange): void {
    this.currentState = change.state;
    this.emit('state', change);
  }
}

/** SIP.js's own answers when no response came (408) or the transport failed (503 without Retry-After). */
function isConnectionFailure(error: HeraldClientError): boolean {
  return error.sipStatus === 408 || (error.sipStatus === 503 && error.retryAfterSeconds === undefined);
}

/** A result's own fields: without v, id, type, re and ok. */
function withoutEnvelope(push: Record<string, unknown>): Record<string, unknown> {
  const envelopeFields = new Set(['v', 'id', 'type', 're', 'ok']);
  return Object.fromEntries(Object.entries(push).filter(([name]) => !envelopeFields.has(name)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** 128 random bits as hex: getRandomValues works in every browser context (randomUUID needs a secure one). */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
