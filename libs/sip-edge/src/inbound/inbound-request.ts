import { Flow, SipRequest, SipResponse } from '#herald/sip';

/** A new request (not a retransmission) handed up by its server transaction. */
export interface InboundRequest {
  request: SipRequest;
  /** The flow it arrived on: a registration binds it, later requests are checked against it. */
  flow: Flow;
  /** Server transaction key (RFC 3261 §17.2.3); register.decided names it. */
  txKey: string;
  receivedAt: Date;
}

/** One method's handling: resolves with the final response (possibly after a bus round trip). */
export interface MethodHandler {
  readonly method: string;
  handle(inbound: InboundRequest): Promise<SipResponse>;
}
