import { serializeMessage, SipMessage, SipParseError, SipRequest, SipResponse } from '../message';
import { Flow, stampReceived, TransportError, TransportSet, udpResponseTarget } from '../transport';
import { Clock, SystemClock } from './clock';
import { requestServerKey, responseClientKey, requestClientKey } from './message-keys';
import { ClientTransactionOutcome, NonInviteClientTransaction } from './non-invite-client';
import { NonInviteServerTransaction } from './non-invite-server';
import { resolveTransactionTimers, TransactionTimerOptions, TransactionTimers } from './timers';
import { TransactionError } from './transaction-error';

/** A new request handed to the transaction user, with its server transaction. */
export interface IncomingRequest {
  readonly request: SipRequest;
  /** The flow it arrived on (what a registration binds). */
  readonly flow: Flow;
  readonly transactionKey: string;
  /** Sends a response through the server transaction (retransmissions get the last one again). */
  respond(response: SipResponse): void;
}

export interface TransactionLayerOptions {
  transports: TransportSet;
  onRequest: (incoming: IncomingRequest) => void;
  /** A framed but invalid message; answer a request with `sendStatelessResponse` (400 from `error.partial`). */
  onInvalidMessage: (error: SipParseError, flow: Flow) => void;
  /** Stray responses, unroutable requests, failed sends, socket errors: reported, never thrown at the transport. */
  onError: (error: Error, flow?: Flow) => void;
  onFlowClosed?: (flow: Flow) => void;
  /**
   * False for a flow whose messages are dropped unread, before any transaction exists, so its
   * retransmissions are dropped too (a banned source). Everything is admitted without it.
   */
  admit?: (flow: Flow) => boolean;
  /** A client transaction's Timer E sent its request again (UDP): for a retransmission counter. */
  onRetransmit?: () => void;
  clock?: Clock;
  timers?: TransactionTimerOptions;
}

export interface SendRequestOptions {
  onProvisional?: (response: SipResponse) => void;
}

/**
 * Routes messages between transports and transactions (RFC 3261 §17): requests to their server
 * transaction or, when new, to the TU; responses to their client transaction.
 */
export class TransactionLayer {
  private readonly servers = new Map<string, NonInviteServerTransaction>();
  private readonly clients = new Map<string, NonInviteClientTransaction<SipResponse>>();
  private readonly clock: Clock;
  private readonly timers: TransactionTimers;

  constructor(private readonly options: TransactionLayerOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.timers = resolveTransactionTimers(options.timers);
  }

  start(): ReturnType<TransportSet['start']> {
    return this.options.transports.start({
      message: (message, flow) => {
        if (this.admitted(flow)) this.receive(message, flow);
      },
      invalidMessage: (error, flow) => {
        if (this.admitted(flow)) this.options.onInvalidMessage(error, flow);
      },
      flowClosed: (flow) => this.options.onFlowClosed?.(flow),
      error: (error, flow) => this.options.onError(error, flow),
    });
  }

  /**
   * Stops the transports, then ends every transaction left: with nothing to send or receive over,
   * their timers (Timer J absorbing retransmissions, up to 64*T1) would only keep the process alive.
   */
  async stop(): Promise<void> {
    await this.options.transports.stop();
    for (const transaction of [...this.servers.values(), ...this.clients.values()]) transaction.close();
  }

  /** Open transactions (server, client). */
  get size(): { servers: number; clients: number } {
    return { servers: this.servers.size, clients: this.clients.size };
  }

  /**
   * Starts a non-INVITE client transaction (RFC 3261 §17.1.2) for a request whose top Via already
   * carries a unique z9hG4bK branch; resolves with answered, timed-out or transport-error.
   */
  sendRequest(
    request: SipRequest,
    flow: Flow,
    options: SendRequestOptions = {},
  ): Promise<ClientTransactionOutcome<SipResponse>> {
    const key = requestClientKey(request);
    if (this.clients.has(key))
      throw new TransactionError('duplicate-transaction', `client transaction ${key} exists`);
    const transaction = new NonInviteClientTransaction<SipResponse>({
      key,
      flow,
      request: serializeMessage(request),
      clock: this.clock,
      timers: this.timers,
      onProvisional: (_statusCode, response) => options.onProvisional?.(response),
      onRetransmit: this.options.onRetransmit,
      onTerminated: (terminated) => this.clients.delete(terminated),
    });
    this.clients.set(key, transaction);
    transaction.start();
    return transaction.outcome;
  }

  /**
   * A response outside any transaction, for a request that could not be parsed (RFC 3261 §8.2.6,
   * §18.2.2): back over the same connection, or for UDP to the packet's source address and port.
   */
  sendStatelessResponse(response: SipResponse, flow: Flow): Promise<void> {
    return flow.send(serializeMessage(response));
  }

  private admitted(flow: Flow): boolean {
    return this.options.admit === undefined || this.options.admit(flow);
  }

  /** A valid message from a transport. */
  private receive(message: SipMessage, flow: Flow): void {
    try {
      if (message.kind === 'request') this.receiveRequest(message, flow);
      else this.receiveResponse(message, flow);
    } catch (error) {
      this.options.onError(error instanceof Error ? error : new Error(String(error)), flow);
    }
  }

  private receiveRequest(request: SipRequest, flow: Flow): void {
    // RFC 3261 §18.2.1: record where the request really came from before anything else reads Via.
    stampReceived(request, flow);
    // ACK only exists for INVITE transactions, which Herald does not serve (no dialogs): dropped.
    if (request.method === 'ACK') return;
    const key = requestServerKey(request, flow.protocol);
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      existing.receiveRetransmission(); // §17.2.2: absorbed, the TU sees the request once
      return;
    }
    const transaction = new NonInviteServerTransaction({
      key,
      responseFlow: this.responseFlow(request, flow),
      clock: this.clock,
      timers: this.timers,
      onTerminated: (terminated) => this.servers.delete(terminated),
      onFailure: (error) => this.options.onError(error, flow),
    });
    this.servers.set(key, transaction);
    this.options.onRequest({
      request,
      flow,
      transactionKey: key,
      respond: (response) => transaction.respond(response.status, serializeMessage(response)),
    });
  }

  /** §17.1.3: a response goes to the client transaction with its branch and CSeq method. */
  private receiveResponse(response: SipResponse, flow: Flow): void {
    const transaction = this.clients.get(responseClientKey(response));
    if (transaction === undefined) {
      this.options.onError(
        new TransactionError('stray-response', `no transaction for ${response.status}`),
        flow,
      );
      return;
    }
    transaction.receiveResponse(response.status, response);
  }

  /** §18.2.2: the same connection when reliable, else Via received/rport from the same UDP socket. */
  private responseFlow(request: SipRequest, flow: Flow): Flow {
    if (flow.reliable) return flow;
    const target = udpResponseTarget(request);
    if (target === undefined) throw new TransportError('no-flow', 'request without Via');
    return this.options.transports.responseFlow(flow, target);
  }
}
