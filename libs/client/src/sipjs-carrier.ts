import {
  type Core,
  type LogLevel,
  type Message,
  Messager,
  Registerer,
  RegistererState,
  UserAgent,
} from 'sip.js';
import type { Carrier, CarrierFactory, CarrierHandlers } from './carrier';
import { md5ChallengeLast } from './challenge-order';
import { HeraldClientError, sipRejection } from './errors';
import { ENVELOPE_CONTENT_TYPE } from './protocol';

export interface SipJsCarrierOptions {
  /** Herald's WebSocket listener, e.g. `ws://127.0.0.1:8080` or `wss://sip.example.com:8443`. */
  server: string;
  /** The SIP domain D. */
  domain: string;
  user: string;
  password: string;
  /** Requested registration lifetime in seconds (SIP.js refreshes it before it ends); default 600. */
  registerExpires?: number;
  /** SIP.js's own logging; default `error`. */
  logLevel?: LogLevel;
}

const DEFAULT_REGISTER_EXPIRES = 600;

/**
 * A carrier on SIP.js over WS/WSS (browsers and Node 24, whose global WebSocket SIP.js uses):
 * commands and pushes as MESSAGE, the carrier browsers' SIP stacks accept outside a dialog.
 */
export function sipJsCarrier(options: SipJsCarrierOptions): CarrierFactory {
  return (handlers) => new SipJsCarrier(options, handlers);
}

class SipJsCarrier implements Carrier {
  private readonly userAgent: UserAgent;
  private registerer: Registerer | undefined;
  private closing = false;

  constructor(
    private readonly options: SipJsCarrierOptions,
    private readonly handlers: CarrierHandlers,
  ) {
    const uri = UserAgent.makeURI(`sip:${options.user}@${options.domain}`);
    if (uri === undefined)
      throw new HeraldClientError(
        'HERALD_REGISTER_FAILED',
        `bad user or domain: ${options.user}@${options.domain}`,
      );
    this.userAgent = new UserAgent({
      uri,
      transportOptions: { server: options.server },
      authorizationUsername: options.user,
      authorizationPassword: options.password,
      logLevel: options.logLevel ?? 'error',
      // The client reconnects itself, with a fresh registration and login.
      reconnectionAttempts: 0,
      delegate: {
        onMessage: (message) => this.receive(message),
        onDisconnect: (error) => {
          if (!this.closing) handlers.onLost(error?.message ?? 'connection closed');
        },
      },
    });
    // SIP.js answers only the last challenge of a 401, and only MD5: Herald's MD5 one goes last.
    const transport = this.userAgent.transport;
    const deliver = transport.onMessage;
    transport.onMessage = (raw) => deliver?.(md5ChallengeLast(raw));
  }

  async open(): Promise<void> {
    try {
      await this.userAgent.start();
    } catch (error) {
      throw new HeraldClientError(
        'HERALD_NOT_CONNECTED',
        `cannot connect to ${this.options.server}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const registerer = new Registerer(this.userAgent, {
      expires: this.options.registerExpires ?? DEFAULT_REGISTER_EXPIRES,
    });
    this.registerer = registerer;
    await finalResponse(
      (requestDelegate) => registerer.register({ requestDelegate }),
      (response) => rejection('HERALD_REGISTER_FAILED', 'REGISTER', response),
    );
    // A refresh that fails leaves the registration: the flow no longer acts as the user.
    registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Unregistered && !this.closing) this.handlers.onLost('registration lost');
    });
  }

  send(body: string): Promise<void> {
    const target = UserAgent.makeURI(`sip:${this.options.domain}`);
    if (target === undefined)
      return Promise.reject(new HeraldClientError('HERALD_SIP_REJECTED', 'bad domain'));
    const messager = new Messager(this.userAgent, target, body, ENVELOPE_CONTENT_TYPE);
    return finalResponse(
      (requestDelegate) => messager.message({ requestDelegate }),
      (response) => rejection('HERALD_SIP_REJECTED', 'MESSAGE', response),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    const registerer = this.registerer;
    // After a dropped connection there is nobody to unregister with: the binding expires at Herald.
    if (registerer?.state === RegistererState.Registered && this.userAgent.isConnected()) {
      // Waits for Herald's answer to Expires: 0 so the binding is gone before the socket closes; a
      // refusal changes nothing for a client that is leaving (the binding then expires at Herald).
      await new Promise<void>((resolve, reject) => {
        registerer
          .unregister({ requestDelegate: { onAccept: () => resolve(), onReject: () => resolve() } })
          .catch(reject);
      });
    }
    await this.userAgent.stop();
  }

  private receive(message: Message): void {
    const { request } = message;
    const answer = this.handlers.onPush(request.body, request.getHeader('Content-Type'));
    const sent =
      answer.status === 200
        ? message.accept()
        : message.reject({
            statusCode: answer.status,
            ...(answer.reason === undefined ? {} : { reasonPhrase: answer.reason }),
          });
    sent.catch((error: unknown) =>
      this.handlers.onLost(
        `could not answer a push: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }
}

/** Resolves on the request's 2xx; rejects with `refused(response)` on any other final response. */
function finalResponse(
  send: (delegate: Core.OutgoingRequestDelegate) => Promise<unknown>,
  refused: (response: Core.IncomingResponse) => Error,
): Promise<void> {
  return new Promise((resolve, reject) => {
    send({ onAccept: () => resolve(), onReject: (response) => reject(refused(response)) }).catch(reject);
  });
}

function rejection(
  code: 'HERALD_REGISTER_FAILED' | 'HERALD_SIP_REJECTED',
  method: string,
  response: Core.IncomingResponse,
): HeraldClientError {
  const { statusCode, reasonPhrase } = response.message;
  return sipRejection(code, method, {
    status: statusCode,
    reason: reasonPhrase,
    retryAfter: response.message.getHeader('Retry-After'),
  });
}
