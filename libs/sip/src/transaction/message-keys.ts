import { SipRequest, SipResponse, formatVia } from '../message';
// The modules alone: the transport index would bring the WebSocket server into client bundles.
import { TransportProtocol } from '../transport/address';
import { defaultSipPort } from '../transport/response-address';
import { clientTransactionKey, hasMagicCookie, rfc3261ServerKey, serverTransactionKey } from './keys';
import { TransactionError } from './transaction-error';

function requireTopVia(message: SipRequest | SipResponse) {
  const via = message.topVia;
  if (via === undefined) throw new TransactionError('missing-branch', 'message without Via');
  return via;
}

/** RFC 3261 §17.2.3 key of an incoming request (sent-by port defaulted per transport, §18.2.2). */
export function requestServerKey(request: SipRequest, protocol: TransportProtocol): string {
  const via = requireTopVia(request);
  const sentByPort = via.port ?? defaultSipPort(protocol);
  // The usual case, built directly: an input object with a lazy top Via per request was ~1 % of
  // the edge's CPU per REGISTER.
  if (hasMagicCookie(via.branch) && request.method !== 'ACK') {
    return rfc3261ServerKey(via.branch, via.host, sentByPort, request.method);
  }
  const cseq = request.cseq;
  return serverTransactionKey({
    method: request.method,
    branch: via.branch,
    sentByHost: via.host,
    sentByPort,
    requestUri: request.uri,
    callId: request.callId ?? '',
    cseq: cseq?.seq ?? 0,
    fromTag: request.from?.tag,
    toTag: request.to?.tag,
    // Only the RFC 2543 fallback reads it.
    topVia: formatVia(via),
  });
}

/** RFC 3261 §17.1.3 key of an outgoing request: its own top Via branch and method. */
export function requestClientKey(request: SipRequest): string {
  const branch = requireTopVia(request).branch;
  if (branch === undefined) throw new TransactionError('missing-branch', 'request Via has no branch');
  return clientTransactionKey(branch, request.method);
}

/** RFC 3261 §17.1.3 key of an incoming response: top Via branch and CSeq method. */
export function responseClientKey(response: SipResponse): string {
  const branch = requireTopVia(response).branch;
  const method = response.cseq?.method;
  if (branch === undefined || method === undefined) {
    throw new TransactionError('missing-branch', 'response without branch or CSeq');
  }
  return clientTransactionKey(branch, method);
}
