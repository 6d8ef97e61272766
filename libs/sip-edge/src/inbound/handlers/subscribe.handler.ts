import { SubscribeDecidedV1, subscribeRequestedV1, Transport } from '#herald/contracts';
import { createResponse, newTag, PIDF_CONTENT_TYPE, SipRequest, SipResponse } from '#herald/sip';
import { SipEdgeConfig } from '../../edge-config';
import { FlowBinding } from '../../flows/flow-registry';
import { edgeContactOf } from '../../outbound/notify-request';
import { aorOf } from '../../sip/aor';
// RFC 3856 §6.7 / RFC 3863: the body of Herald's NOTIFYs, the only one a SUBSCRIBE may Accept.
import { responseTo, safeReasonPhrase } from '../../sip/responses';
import { CommandIntake } from '../command-intake';
import { InboundRequest, MethodHandler } from '../inbound-request';
import { ServiceDecisions } from '../service-decisions';
import { identifyPresenceRequest } from './presence-request';

/** RFC 3856 §6.4: a presence SUBSCRIBE without Expires asks for one hour. */
export const DEFAULT_SUBSCRIBE_EXPIRES_SECONDS = 3600;

/**
 * SUBSCRIBE with `Event: presence` (protocol.md §7, RFC 6665, RFC 3856). The edge checks what it
 * can alone (registered flow, event package, expiry, dialog fields), then asks presence over the
 * bus, like REGISTER asks auth: presence owns the dialog (PostgreSQL) and decides 200, 403 (not an
 * accepted buddy) or 481 (no such subscription); its NOTIFYs follow on the outbound topic.
 */
export class SubscribeHandler implements MethodHandler {
  readonly method = 'SUBSCRIBE';
  constructor(
    private readonly config: SipEdgeConfig,
    private readonly intake: CommandIntake,
    private readonly decisions: ServiceDecisions,
  ) {}

  async handle(inbound: InboundRequest): Promise<SipResponse> {
    const { request } = inbound;
    // RFC 6665 §4.2.1: an event package the notifier does not serve gets 489 with Allow-Events.
    const binding = identifyPresenceRequest(this.intake, inbound);
    if (binding instanceof SipResponse) return binding;
    const target = aorOf(request.requestUri, this.config.domain);
    if (target === undefined) return responseTo(request, 404, 'Not Found (no presentity in Request-URI)');
    // RFC 3856 §6.7: a subscriber that accepts bodies must accept PIDF.
    const accept = request.headers.get('Accept');
    if (accept !== undefined && !accept.toLowerCase().includes(PIDF_CONTENT_TYPE)) {
      return responseTo(request, 406, undefined, [['Accept', PIDF_CONTENT_TYPE]]);
    }
    const expires = request.expires ?? DEFAULT_SUBSCRIBE_EXPIRES_SECONDS;
    // RFC 6665 §4.2.1.1: an expiry the notifier finds too short gets 423 with Min-Expires.
    if (expires > 0 && expires < this.config.minExpires) {
      return responseTo(request, 423, undefined, [['Min-Expires', String(this.config.minExpires)]]);
    }
    const subscriberTag = request.from?.tag;
    if (subscriberTag === undefined) return responseTo(request, 400, 'Bad Request (From without tag)');
    const toTag = request.to?.tag;
    // RFC 6665 §4.1.2.1 / RFC 3261 §12.1.1: the Contact is the remote target of our NOTIFYs.
    const contactHeader = request.contact;
    const given = contactHeader?.wildcard === false ? contactHeader.contacts[0]?.uri.raw : undefined;
    const contact = given ?? (toTag === undefined ? undefined : binding.contact);
    if (contact === undefined) return responseTo(request, 400, 'Bad Request (SUBSCRIBE without Contact)');
    return this.askPresence(inbound, binding, {
      target,
      expires,
      subscriberTag,
      notifierTag: toTag ?? newTag(),
      initial: toTag === undefined,
      contact,
    });
  }

  private async askPresence(
    inbound: InboundRequest,
    binding: FlowBinding,
    fields: {
      target: string;
      expires: number;
      subscriberTag: string;
      notifierTag: string;
      initial: boolean;
      contact: string;
    },
  ): Promise<SipResponse> {
    const { request, flow, txKey } = inbound;
    const eventId = request.event?.params.get('id');
    const event = subscribeRequestedV1.build({
      edgeId: this.config.edgeId,
      txKey,
      flowId: flow.id,
      transport: flow.protocol as Transport,
      aor: binding.aor,
      deviceId: binding.deviceId,
      target: fields.target,
      initial: fields.initial,
      dialog: {
        callId: request.callId ?? '',
        subscriberTag: fields.subscriberTag,
        notifierTag: fields.notifierTag,
        contact: fields.contact,
        routeSet: request.recordRoute.map((route) => `<${route.uri.raw}>`),
        ...(eventId === undefined || eventId === null ? {} : { eventId }),
      },
      cseq: request.cseq?.seq ?? 0,
      expires: fields.expires,
      deadline: this.decisions.deadline('subscribe'),
    });
    const asked = await this.decisions.ask(
      'subscribe',
      request,
      txKey,
      subscribeRequestedV1.record(event),
      binding.aor,
    );
    if ('unavailable' in asked) return asked.unavailable;
    return this.answer(inbound, asked.decision, fields.notifierTag);
  }

  private answer(inbound: InboundRequest, decision: SubscribeDecidedV1, notifierTag: string): SipResponse {
    const { request, flow } = inbound;
    if (decision.status !== 200) return responseTo(request, decision.status, decision.reason);
    // RFC 6665 §4.2.1.1: the 200 carries the granted Expires; its To tag makes the dialog.
    return withTag(request, 200, notifierTag, decision.reason, [
      ['Expires', String(decision.expires ?? 0)],
      ['Contact', edgeContactOf(flow)],
    ]);
  }
}

function withTag(
  request: SipRequest,
  status: number,
  toTag: string,
  reason: string | undefined,
  headers: ReadonlyArray<readonly [string, string]>,
): SipResponse {
  return createResponse(request, status, {
    toTag,
    headers,
    ...(reason === undefined ? {} : { reason: safeReasonPhrase(reason) }),
  });
}
