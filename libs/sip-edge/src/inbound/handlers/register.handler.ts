import {
  CONTACT_PARAMS_MAX_LENGTH,
  CONTACT_URI_MAX_LENGTH,
  DEVICE_ID_MAX_LENGTH,
  isAorUri,
  RegisterDecidedV1,
  registerRequestedV1,
  Transport,
} from '#herald/contracts';
import {
  ContactValue,
  DigestCredentials,
  formatParams,
  DigestError,
  DigestFreshnessChecker,
  parseDigestAuthorization,
  SipRequest,
  SipResponse,
} from '#herald/sip';
import { SipEdgeConfig } from '../../edge-config';
import { FlowRegistry } from '../../flows/flow-registry';
import { aorOf } from '../../sip/aor';
import { detachedString } from '../../sip/detached-string';
import { responseTo } from '../../sip/responses';
import { BusPublisher } from '../bus-publisher';
import { DigestChallenger } from '../digest-challenger';
import { InboundRequest, MethodHandler } from '../inbound-request';
import { ServiceDecisions } from '../service-decisions';
import { edgeLogger } from '../../edge-logger';
import type { EdgeThrottle } from '../../throttle/edge-throttle';

/** Credentials that passed the edge's checks: qop=auth with nc and cnonce (RFC 7616 §3.4). */
type FreshCredentials = DigestCredentials & { qop: 'auth'; nc: string; cnonce: string };

interface RequestedContact {
  uri: string;
  expires: number;
  instanceId?: string;
  /** Header parameters other than expires (+sip.instance, reg-id, …), kept with the binding. */
  params?: string;
}

/** A Contact's header parameters but `expires` (the registrar grants its own), when it has any. */
function keptParams(contact: ContactValue): { params?: string } {
  const hasOthers = contact.params.size > (contact.params.has('expires') ? 1 : 0);
  if (!hasOthers) return {};
  const kept = new Map(contact.params);
  kept.delete('expires');
  return { params: formatParams(kept) };
}

/**
 * REGISTER (RFC 3261 §10.3). The edge checks what it can without the HA1 (form, nonce freshness,
 * nonce-count replay, expiry), then asks auth over the bus and answers with auth's decision.
 */
export class RegisterHandler implements MethodHandler {
  readonly method = 'REGISTER';
  private readonly logger = edgeLogger('SipEdgeRegister');

  constructor(
    private readonly config: SipEdgeConfig,
    private readonly challenger: DigestChallenger,
    private readonly freshness: DigestFreshnessChecker,
    private readonly publisher: BusPublisher,
    private readonly decisions: ServiceDecisions,
    private readonly registry: FlowRegistry,
    /** Counts auth's refusals per (account, source) and refuses credentials while they back off. */
    private readonly throttle: EdgeThrottle | undefined,
    private readonly now: () => number,
  ) {}

  async handle(inbound: InboundRequest): Promise<SipResponse> {
    const { request } = inbound;
    // §10.3 step 5: the To URI is the AOR, valid for this domain only.
    const aor = aorOf(request.to?.uri, this.config.domain);
    if (aor === undefined) return responseTo(request, 404, 'Not Found (AOR not in this domain)');
    // No account has such a name (USERNAME_PATTERN is stricter), and the event could not carry it.
    if (!isAorUri(aor)) {
      this.logger.info('EDGE_AOR_REJECTED', 'the To URI is not a valid AOR', { reason: 'aor-out-of-bounds' });
      return responseTo(request, 404, 'Not Found (not a valid AOR)');
    }
    // §10.2 / §10.3 step 4: Herald allows no third-party registration (From must equal To).
    if (aorOf(request.from?.uri, this.config.domain) !== aor) {
      return responseTo(request, 403, 'Forbidden (third-party registration)');
    }
    const credentials = this.credentialsOf(request);
    if (credentials instanceof SipResponse) return credentials;
    const contacts = this.contactsOf(request);
    if (contacts instanceof SipResponse) return contacts;
    // §10.3 step 7: an expiry above zero but below the minimum gets 423 with Min-Expires.
    if (contacts.list.some((c) => c.expires > 0 && c.expires < this.config.minExpires)) {
      return responseTo(request, 423, undefined, [['Min-Expires', String(this.config.minExpires)]]);
    }
    return this.askAuth(inbound, aor, credentials, contacts);
  }

  /** §22.1 and RFC 7616 §3.3: no credentials -> challenge; stale -> stale=true; invalid or replayed -> fresh challenge. */
  private credentialsOf(request: SipRequest): FreshCredentials | SipResponse {
    const header = request.headers.get('Authorization');
    if (header === undefined) return this.challenger.challenge(request);
    let credentials: DigestCredentials;
    try {
      credentials = parseDigestAuthorization(header);
    } catch (error) {
      if (!(error instanceof DigestError)) throw error;
      this.logger.info('EDGE_DIGEST_REJECTED', error.message, { reason: error.code });
      // RFC 7616 §3.4: an unsupported algorithm is answered with a challenge the client can meet.
      return error.code === 'digest-malformed-header'
        ? responseTo(request, 400, 'Malformed Authorization')
        : this.challenger.challenge(request);
    }
    if (!this.challenger.offers(credentials.algorithm)) {
      this.logger.info(
        'EDGE_DIGEST_REJECTED',
        `${credentials.algorithm} is not in HERALD_DIGEST_ALGORITHMS`,
        { reason: 'digest-algorithm-not-offered' },
      );
      return this.challenger.challenge(request);
    }
    // The nonce-count tracker keeps the nonce for its lifetime: a copy, not a slice of this request's text.
    const verdict = this.freshness.check(
      { ...credentials, nonce: detachedString(credentials.nonce) },
      this.challenger.realm,
    );
    if (verdict.verdict === 'stale') return this.challenger.challenge(request, { stale: true });
    if (verdict.verdict !== 'fresh') {
      const why = verdict.verdict === 'invalid' ? verdict.reason : 'nonce-count replayed';
      this.logger.info('EDGE_DIGEST_REJECTED', why, { reason: verdict.verdict });
      return this.challenger.challenge(request);
    }
    // The checker guarantees these for a fresh verdict (qop=auth with nc and cnonce).
    const { qop, nc, cnonce } = credentials;
    if (qop !== 'auth' || nc === undefined || cnonce === undefined) return this.challenger.challenge(request);
    return { ...credentials, qop, nc, cnonce };
  }

  /** §10.3 step 6-7: Contact `*` only with Expires 0; each contact's expiry from its param, else Expires, else default. */
  private contactsOf(
    request: SipRequest,
  ): { star: boolean; expires: number; list: RequestedContact[] } | SipResponse {
    const expires = request.expires ?? this.config.defaultExpires;
    const contact = request.contact;
    if (contact?.wildcard === true) {
      if (request.expires !== 0) return responseTo(request, 400, 'Bad Request (Contact * needs Expires: 0)');
      return { star: true, expires, list: [] };
    }
    const list: RequestedContact[] = [];
    for (const value of contact?.contacts ?? []) {
      const requested: RequestedContact = {
        uri: value.uri.raw,
        expires: value.expires ?? expires,
        ...(value.instance === undefined ? {} : { instanceId: value.instance }),
        ...keptParams(value),
      };
      const refused = this.refuseUnstorable(request, requested);
      if (refused !== undefined) return refused;
      list.push(requested);
    }
    return { star: false, expires, list };
  }

  /**
   * 400 for a Contact the registrar could not store: a URI, +sip.instance (the device id) or
   * parameters outside the contract's bounds. The parser allows lines of 8 KB; without this the
   * binding would be refused by auth, or stored and then fail every command of the device.
   */
  private refuseUnstorable(request: SipRequest, contact: RequestedContact): SipResponse | undefined {
    let problem: string | undefined;
    if (contact.uri.length > CONTACT_URI_MAX_LENGTH) {
      problem = `Contact URI over ${CONTACT_URI_MAX_LENGTH} characters`;
    } else if (
      contact.instanceId !== undefined &&
      (contact.instanceId.length === 0 || contact.instanceId.length > DEVICE_ID_MAX_LENGTH)
    ) {
      problem = `+sip.instance must be 1-${DEVICE_ID_MAX_LENGTH} characters`;
    } else if (contact.params !== undefined && contact.params.length > CONTACT_PARAMS_MAX_LENGTH) {
      problem = `Contact parameters over ${CONTACT_PARAMS_MAX_LENGTH} characters`;
    }
    if (problem === undefined) return undefined;
    this.logger.info('EDGE_CONTACT_REJECTED', problem, { reason: 'contact-out-of-bounds' });
    return responseTo(request, 400, `Bad Request (${problem})`);
  }

  private async askAuth(
    inbound: InboundRequest,
    aor: string,
    digest: FreshCredentials,
    contacts: { star: boolean; expires: number; list: RequestedContact[] },
  ): Promise<SipResponse> {
    const { request, flow, txKey } = inbound;
    // Decided here, before the bus: a guess refused while its (account, source) backs off costs auth nothing.
    const backingOff = this.throttle?.refuseCredentials(request, aor, flow);
    if (backingOff !== undefined) return backingOff;
    // A connection reset before it was accepted has no peer address (socketAddress): nothing to bind.
    if (flow.remote.address.length === 0 || flow.remote.port < 1) {
      this.logger.info('EDGE_FLOW_UNADDRESSED', 'the connection has no peer address', { flow: flow.id });
      return responseTo(request, 400, 'Bad Request (connection without a peer address)');
    }
    // Trusted (zod here was ~4 % of the edge's CPU per REGISTER): every field is bounded where it
    // came in. The AOR by isAorUri above; each Contact by refuseUnstorable; the digest fields by
    // parseDigestAuthorization (none empty) and the freshness check (our realm and nonce, qop=auth,
    // an 8-hex nc); Call-ID, CSeq and the expiries by the parser; edge id by the config; the flow
    // by the transport. register.handler.spec.ts builds events at these bounds against the schema.
    const event = registerRequestedV1.buildTrusted({
      edgeId: this.config.edgeId,
      txKey,
      flowId: flow.id,
      transport: flow.protocol as Transport,
      source: { address: flow.remote.address, port: flow.remote.port },
      aor,
      callId: request.callId ?? '',
      cseq: request.cseq?.seq ?? 0,
      method: 'REGISTER',
      contacts: contacts.list,
      star: contacts.star,
      expires: contacts.expires,
      digest: {
        username: digest.username,
        realm: digest.realm,
        nonce: digest.nonce,
        uri: digest.uri,
        response: digest.response,
        algorithm: digest.algorithm,
        qop: digest.qop,
        nc: digest.nc,
        cnonce: digest.cnonce,
        ...(digest.opaque === undefined ? {} : { opaque: digest.opaque }),
      },
      deadline: this.decisions.deadline('register'),
    });
    const asked = await this.decisions.ask(
      'register',
      request,
      txKey,
      registerRequestedV1.record(event),
      aor,
    );
    if ('unavailable' in asked) return asked.unavailable;
    this.throttle?.decided(aor, flow, asked.decision.status);
    return this.answer(inbound, asked.decision, contacts.list, contacts.star);
  }

  /** Turns auth's decision into the final response and keeps the flow table in step with it. */
  private answer(
    inbound: InboundRequest,
    decision: RegisterDecidedV1,
    requested: RequestedContact[],
    star: boolean,
  ): SipResponse {
    const { request } = inbound;
    switch (decision.status) {
      case 200:
        this.updateBindings(inbound, decision, requested, star);
        // §10.3 step 8: the 200 lists every current binding with its expiry (and its own parameters).
        return responseTo(
          request,
          200,
          decision.reason,
          decision.contacts.map(
            (c) => ['Contact', `<${c.uri}>${c.params ?? ''};expires=${c.expires}`] as const,
          ),
        );
      case 401:
        return this.challenger.challenge(request);
      case 423:
        return responseTo(request, 423, decision.reason, [
          ['Min-Expires', String(decision.minExpires ?? this.config.minExpires)],
        ]);
      case 503:
        return this.publisher.unavailable(request, decision.reason);
      default:
        return responseTo(request, decision.status, decision.reason);
    }
  }

  private updateBindings(
    inbound: InboundRequest,
    decision: RegisterDecidedV1,
    requested: RequestedContact[],
    star: boolean,
  ): void {
    const listed = new Map(decision.contacts.map((c) => [c.uri, c.expires]));
    // Bindings of this AOR on this edge that the registrar no longer lists are gone (expires 0, `*`).
    for (const binding of this.registry.bindingsOf(decision.aor)) {
      if (star || !listed.has(binding.contact)) this.registry.unbind(binding.flowId);
    }
    const bound = requested.find((c) => (listed.get(c.uri) ?? 0) > 0);
    if (bound === undefined) return;
    this.registry.bind({
      flowId: inbound.flow.id,
      aor: decision.aor,
      // architecture.md: deviceId is the +sip.instance when present, otherwise the Contact URI.
      deviceId: bound.instanceId ?? bound.uri,
      contact: bound.uri,
      expiresAt: this.now() + (listed.get(bound.uri) ?? 0) * 1000,
    });
  }
}
