import type { ConnectionOptions } from 'node:tls';
import type { DigestAlgorithm } from '../../../sip/src/auth/algorithm';
import { createResponse, type SipRequest, type SipResponse } from '../../../sip/src/message';
import type { TransactionTimerOptions } from '../../../sip/src/transaction/timers';
import type { TransportError } from '../../../sip/src/transport/transport-error';
import type { Carrier, CarrierFactory, CarrierHandlers } from '../carrier';
import { HeraldClientError, sipRejection } from '../errors';
import { defaultAnswer, type SipCarrierMethod, SipClientError, SipDevice } from './sip-device';
import type { SipFlowProtocol } from './sip-flow';

export interface SipCarrierOptions {
  /**
   * Herald's listener as `udp://host:port`, `tcp://…`, `tls://…`, `ws://…` or `wss://…` (the port
   * defaults to protocol.md's: 5060, 5060, 5061, 8080, 8443).
   */
  server: string;
  /** The SIP domain D. */
  domain: string;
  user: string;
  password: string;
  /** The carrier of commands and pushes: `INFO` (default, as in the patent) or `MESSAGE`. */
  method?: SipCarrierMethod;
  /** Requested registration lifetime in seconds, refreshed at half of what Herald grants; default 600. */
  registerExpires?: number;
  /** Which digest challenge to answer; by default the first one Herald offers that is SHA-256 or MD5. */
  algorithm?: DigestAlgorithm;
  /** RFC 3261 timers of the client's own requests: T1 (500 ms), T2 (4 s), Timer F (64*T1). */
  timers?: TransactionTimerOptions;
  /** The address to send from; by default 127.0.0.1 for a loopback server, else the system's choice. */
  localAddress?: string;
  /** For `tls://`: certificate authority, server name, rejectUnauthorized. */
  tls?: ConnectionOptions;
}

const DEFAULT_REGISTER_EXPIRES = 600;
const DEFAULT_PORTS: Record<SipFlowProtocol, number> = {
  udp: 5060,
  tcp: 5060,
  tls: 5061,
  ws: 8080,
  wss: 8443,
};

/**
 * A carrier on the SDK's own small user agent (libs/sip's parser and transactions) for Node, over
 * UDP (with RFC 3261 retransmission), TCP or TLS (framed by Content-Length) or WS/WSS: commands
 * as INFO (or MESSAGE), pushes answered 200 and answered again when Herald retransmits them.
 */
export function sipCarrier(options: SipCarrierOptions): CarrierFactory {
  const { protocol, address, port } = parseServer(options.server);
  return (handlers) => new SipCarrier(options, protocol, { address, port }, handlers);
}

class SipCarrier extends SipDevice implements Carrier {
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private registered = false;
  private closing = false;

  constructor(
    private readonly carrierOptions: SipCarrierOptions,
    protocol: SipFlowProtocol,
    server: { address: string; port: number },
    private readonly handlers: CarrierHandlers,
  ) {
    super({
      protocol,
      server,
      domain: carrierOptions.domain,
      user: carrierOptions.user,
      password: carrierOptions.password,
      ...(carrierOptions.algorithm === undefined ? {} : { algorithm: carrierOptions.algorithm }),
      ...(carrierOptions.timers === undefined ? {} : { timers: carrierOptions.timers }),
      ...(carrierOptions.tls === undefined ? {} : { tls: carrierOptions.tls }),
      localAddress: carrierOptions.localAddress ?? loopbackFor(server.address),
    });
  }

  override async open(): Promise<void> {
    try {
      await super.open();
    } catch (error) {
      throw new HeraldClientError(
        'HERALD_NOT_CONNECTED',
        `cannot connect to ${this.carrierOptions.server}: ${messageOf(error)}`,
      );
    }
    await this.registerAndRefresh(() => this.register({ expires: this.requestedExpires }));
  }

  async send(body: string): Promise<void> {
    const method = this.carrierOptions.method ?? 'INFO';
    const response = await this.sendEnvelope(body, method).catch((error: unknown) => {
      throw connectionFailure(method, error);
    });
    if (response.status >= 300) throw rejection('HERALD_SIP_REJECTED', method, response);
  }

  override async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.refreshTimer);
    // Waits for Herald's answer to Expires: 0 so the binding is gone before the socket closes. A
    // refusal, no answer or a lost flow changes nothing for a client that is leaving: the binding
    // then expires at Herald. Anything else is a bug and goes up.
    if (this.registered && !this.closed) {
      await this.unregister().catch((error: unknown) => {
        if (!(error instanceof SipClientError)) throw error;
      });
    }
    await super.close();
  }

  protected override answerRequest(request: SipRequest): SipResponse {
    if (request.method !== 'INFO' && request.method !== 'MESSAGE') return defaultAnswer(request);
    const answer = this.handlers.onPush(request.bodyText, request.headers.get('content-type'));
    return createResponse(
      request,
      answer.status,
      answer.reason === undefined ? {} : { reason: answer.reason },
    );
  }

  protected override flowEnded(reason: TransportError): void {
    clearTimeout(this.refreshTimer);
    if (!this.closing) this.handlers.onLost(reason.message);
  }

  protected override answerNotSent(error: Error): void {
    if (!this.closing) this.handlers.onLost(`could not answer a push: ${error.message}`);
  }

  private get requestedExpires(): number {
    return this.carrierOptions.registerExpires ?? DEFAULT_REGISTER_EXPIRES;
  }

  /** REGISTERs; on 2xx schedules the refresh at half the granted lifetime, else throws. */
  private async registerAndRefresh(registering: () => Promise<SipResponse>): Promise<void> {
    const response = await registering().catch((error: unknown) => {
      throw new HeraldClientError(
        'HERALD_REGISTER_FAILED',
        `REGISTER: ${messageOf(error)}`,
        sipStatusOf(error),
      );
    });
    if (response.status >= 300) throw rejection('HERALD_REGISTER_FAILED', 'REGISTER', response);
    this.registered = true;
    const granted = grantedExpires(response) ?? this.requestedExpires;
    this.refreshTimer = setTimeout(
      () => {
        // A refresh that fails leaves the registration: the flow no longer acts as the user.
        this.registerAndRefresh(() => this.refresh(this.requestedExpires)).catch((error: unknown) => {
          this.registered = false;
          if (!this.closing) this.handlers.onLost(`registration lost: ${messageOf(error)}`);
        });
      },
      (granted * 1000) / 2,
    );
  }
}

function parseServer(server: string): { protocol: SipFlowProtocol; address: string; port: number } {
  const url = URL.parse(server);
  const protocol = url?.protocol.slice(0, -1);
  if (url === null || !isFlowProtocol(protocol) || url.hostname === '') {
    throw new HeraldClientError(
      'HERALD_NOT_CONNECTED',
      `server must be udp://, tcp://, tls://, ws:// or wss:// host[:port]: ${server}`,
    );
  }
  return {
    protocol,
    address: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? DEFAULT_PORTS[protocol] : Number(url.port),
  };
}

function isFlowProtocol(value: string | undefined): value is SipFlowProtocol {
  return value !== undefined && Object.hasOwn(DEFAULT_PORTS, value);
}

/** A loopback server is reached from loopback (a Via and Contact with 0.0.0.0 would be no address). */
function loopbackFor(address: string): string | undefined {
  if (address.startsWith('127.')) return '127.0.0.1';
  return address === '::1' ? '::1' : undefined;
}

/** The lifetime Herald granted: the Contact's expires parameter (RFC 3261 §10.3 step 8), or Expires. */
function grantedExpires(response: SipResponse): number | undefined {
  const fromContact = /;\s*expires\s*=\s*(\d+)/i.exec(response.headers.get('contact') ?? '')?.[1];
  const seconds = Number.parseInt(fromContact ?? response.headers.get('expires') ?? '', 10);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * No final response (Timer F) counts as 408 and a dead flow as 503 without Retry-After, as SIP.js
 * reports them: the client then reconnects and re-sends the command with its id.
 */
function connectionFailure(method: string, error: unknown): HeraldClientError {
  return new HeraldClientError('HERALD_SIP_REJECTED', `${method}: ${messageOf(error)}`, sipStatusOf(error));
}

function sipStatusOf(error: unknown): number | undefined {
  if (!(error instanceof SipClientError)) return undefined;
  return error.code === 'SIP_CLIENT_TIMEOUT' ? 408 : 503;
}

function rejection(
  code: 'HERALD_REGISTER_FAILED' | 'HERALD_SIP_REJECTED',
  method: string,
  response: SipResponse,
): HeraldClientError {
  return sipRejection(code, method, {
    status: response.status,
    reason: response.reason,
    retryAfter: response.headers.get('retry-after'),
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
