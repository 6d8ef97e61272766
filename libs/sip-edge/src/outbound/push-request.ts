import { PushRequestedV1 } from '#herald/contracts';
import { Flow, newBranch, newCallId, newTag, SipRequest, Via, viaTransportToken } from '#herald/sip';
import { HERALD_INFO_PACKAGE } from '../inbound/handlers/info.handler';

/** RFC 3261 §8.1.1.6: Max-Forwards of a request we originate. */
export const INITIAL_MAX_FORWARDS = 70;

/**
 * The Via of a request the edge originates over `flow`: this flow's local address, a fresh branch
 * (from libs/sip's CSPRNG pool: a randomBytes call per push was ~3 % of the edge CPU under IM load).
 * A typed value, set with `SipRequest.originateVia`, so the request's key needs no parse of it.
 */
export function originatingVia(flow: Flow): Via {
  const { address, port } = flow.local;
  const branch = newBranch();
  return {
    transport: viaTransportToken(flow.protocol),
    host: address.includes(':') ? `[${address}]` : address,
    port,
    branch,
    received: undefined,
    // RFC 3581 §3: rport asks the device to answer to the address the request came from.
    rport: true,
    params: new Map([
      ['branch', branch],
      ['rport', null],
    ]),
  };
}

/**
 * The request of a push (protocol.md §2, RFC 3261 §8.1.1): Request-URI the registered Contact,
 * From `sip:D` (or the sender AOR for a plain MESSAGE), To the AOR, a new Call-ID, a Via with this
 * flow's local address as sent-by and a fresh z9hG4bK branch, sent outside any dialog.
 */
export function buildPushRequest(push: PushRequestedV1, flow: Flow, domain: string): SipRequest {
  const from = push.fromUri ?? `sip:${domain}`;
  const headers: [string, string][] = [
    ['Max-Forwards', String(INITIAL_MAX_FORWARDS)],
    ['From', `<${from}>;tag=${newTag()}`],
    ['To', `<${push.aor}>`],
    ['Call-ID', newCallId(domain)],
    ['CSeq', `1 ${push.method}`],
    ['Content-Type', push.contentType],
  ];
  if (push.method === 'INFO') headers.push(['Info-Package', HERALD_INFO_PACKAGE]);
  const request = new SipRequest({ method: push.method, uri: push.contact, headers, body: push.body });
  request.originateVia(originatingVia(flow));
  return request;
}
