import { hashAor, heraldMetrics, inSpan, SPAN_ATTRIBUTES, SpanKind } from '#herald/observability';
import {
  createResponseFrom,
  Flow,
  IncomingRequest,
  SipParseError,
  assertCoreHeaders,
  SipRequest,
  SipResponse,
} from '#herald/sip';
import { InFlight } from '../drain/in-flight';
import { FlowRateLimiter } from '../flows/flow-rate-limiter';
import { responseTo, safeReasonPhrase, serviceUnavailable } from '../sip/responses';
import { InboundRequest } from './inbound-request';
import { RequestRouter } from './request-router';
import { edgeLogger } from '../edge-logger';
import type { EdgeThrottle } from '../throttle/edge-throttle';

/** Sends a response outside any transaction (a 400 to a request that could not be parsed) back to its source. */
export type StatelessSender = (response: SipResponse, flow: Flow) => void;

/**
 * Inbound requests after their server transaction (retransmissions are absorbed below):
 * per-source and per-flow rate limits, routing, and one final response; no input ever escapes as an exception.
 */
export class InboundPipeline {
  private readonly logger = edgeLogger('SipEdgeInbound');
  private readonly answering = new InFlight();
  private draining = false;

  constructor(
    private readonly router: RequestRouter,
    private readonly limiter: FlowRateLimiter,
    /** Per-source limits (absent when off): counted across all the source's flows, before the per-flow one. */
    private readonly throttle: EdgeThrottle | undefined,
    private readonly sendStateless: StatelessSender,
    private readonly retryAfterSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Stops taking new requests (each gets 503 with Retry-After, so the client tries another edge)
   * and resolves once every request already taken has its final response.
   */
  drain(): Promise<void> {
    this.draining = true;
    return this.answering.settled();
  }

  /** Requests taken and not yet answered. */
  get inProgress(): number {
    return this.answering.size;
  }

  /** A new request from the transaction layer; resolves once its final response is handed back. */
  onRequest(incoming: IncomingRequest): Promise<void> {
    return this.answering.track(this.traced(incoming));
  }

  private async traced(incoming: IncomingRequest): Promise<void> {
    const { request } = incoming;
    await inSpan(
      `SIP ${request.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: () => ({
          [SPAN_ATTRIBUTES.sipMethod]: request.method,
          [SPAN_ATTRIBUTES.sipCallId]: request.callId ?? '',
          [SPAN_ATTRIBUTES.sipTransport]: incoming.flow.protocol,
        }),
      },
      async (span) => {
        // Only a recorded span keeps its attributes: hashing (an HMAC) for one that is dropped was
        // ~5 % of the edge CPU per request under SIPp REGISTER load.
        if (span.isRecording()) {
          const sender = senderAorOf(request);
          if (sender !== undefined) span.setAttribute(SPAN_ATTRIBUTES.aorHash, hashAor(sender));
        }
        const code = await this.answer(incoming);
        span.setAttribute(SPAN_ATTRIBUTES.sipResponseCode, code);
        heraldMetrics().sipRequest(request.method, code);
      },
    );
  }

  /** Handles one request and sends its final response; resolves with the status code sent. */
  private async answer(incoming: IncomingRequest): Promise<number> {
    const { request, flow } = incoming;
    let response: SipResponse;
    try {
      response = await this.respond({
        request,
        flow,
        txKey: incoming.transactionKey,
        receivedAt: this.now(),
      });
    } catch (error) {
      if (error instanceof SipParseError) {
        // A header the handler needed is malformed (typed headers are parsed lazily): 400 with its reason.
        this.logger.info('EDGE_BAD_REQUEST', error.reason, { reason: error.code, flow: flow.id });
        response = responseTo(request, 400, error.reason);
      } else {
        this.logger.error('EDGE_HANDLER_FAILED', 'the request handler failed', {
          method: request.method,
          flow: flow.id,
          err: error,
        });
        response = responseTo(request, 500);
      }
    }
    try {
      incoming.respond(response);
    } catch (error) {
      // The transaction ended under us (its transport failed, RFC 3261 §17.2.4): nothing left to answer.
      const code = (error as { code?: unknown }).code ?? 'UNKNOWN';
      this.logger.warn('EDGE_RESPOND_FAILED', 'sending the response failed', {
        reason: code,
        flow: flow.id,
        error: String(error),
      });
    }
    return response.status;
  }

  private respond(inbound: InboundRequest): Promise<SipResponse> {
    // RFC 3261 §8.2: a request without From, To, Call-ID or CSeq is refused here with 400 naming the
    // header (SIP_MISSING_HEADER, caught in answer), before a handler builds an event from it.
    assertCoreHeaders(inbound.request);
    // RFC 3261 §21.5.4: a server shutting down answers 503 with Retry-After; the client fails over.
    if (this.draining) {
      return Promise.resolve(
        serviceUnavailable(inbound.request, 'Service Unavailable (shutting down)', this.retryAfterSeconds),
      );
    }
    const throttled = this.throttle?.refuseRequest(inbound.request, inbound.flow);
    if (throttled !== undefined) return Promise.resolve(throttled);
    // protocol.md §2: over a rate limit, 503 with Retry-After and a reason phrase saying so.
    if (!this.limiter.tryTake(inbound.flow.id)) {
      return Promise.resolve(
        serviceUnavailable(inbound.request, 'Rate Limited', this.limiter.retryAfterSeconds()),
      );
    }
    return this.router.route(inbound);
  }

  /**
   * A framed but invalid message. A request gets 400 with the parser's reason when Via, From, To,
   * Call-ID and CSeq could be read (RFC 3261 §8.2.6); anything else is dropped with a log line
   * naming the code. Never throws: no input may crash the edge.
   */
  onInvalidMessage(error: SipParseError, flow: Flow): void {
    const badRequest = badRequestFor(error);
    if (badRequest === undefined) {
      this.logger.warn('EDGE_PARSE_DROPPED', error.reason, { reason: error.code, flow: flow.id });
      return;
    }
    this.logger.info('EDGE_PARSE_REJECTED', error.reason, { reason: error.code, flow: flow.id });
    this.sendStateless(badRequest, flow);
  }

  /** Stray responses, failed sends, socket errors: logged with their stable code. */
  onError(error: Error, flow?: Flow): void {
    const code = (error as { code?: unknown }).code ?? 'UNKNOWN';
    this.logger.warn('EDGE_TRANSPORT_ERROR', error.message, { reason: code, flow: flow?.id });
  }
}

/** The sender AOR a request span carries (hashed): From's `sip:user@host`, when it has a user. */
function senderAorOf(request: SipRequest): string | undefined {
  const from = request.from?.uri;
  return from?.kind === 'sip' && from.user !== undefined ? `sip:${from.user}@${from.host}` : undefined;
}

/** The 400 for an unparsable request (RFC 3261 §8.2.6), when Via, From, To, Call-ID and CSeq could be read. */
export function badRequestFor(error: SipParseError): SipResponse | undefined {
  const partial = error.partial;
  if (partial === undefined || partial.method === undefined || partial.via.length === 0) return undefined;
  const { from, to, callId, cseq } = partial;
  if (from === undefined || to === undefined || callId === undefined || cseq === undefined) return undefined;
  return createResponseFrom(partial, 400, { reason: safeReasonPhrase(error.reason) });
}
