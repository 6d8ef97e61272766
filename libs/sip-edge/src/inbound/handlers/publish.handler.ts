import { aorOfUser, LIMITS, PublishDecidedV1, publishRequestedV1, PublishedState } from '#herald/contracts';
import { parsePidf, PIDF_CONTENT_TYPE, PidfError, SipRequest, SipResponse } from '#herald/sip';
import { SipEdgeConfig } from '../../edge-config';
import { FlowBinding } from '../../flows/flow-registry';
import { aorOf } from '../../sip/aor';
import { responseTo } from '../../sip/responses';
import { CommandIntake } from '../command-intake';
import { InboundRequest, MethodHandler } from '../inbound-request';
import { ServiceDecisions } from '../service-decisions';
import { identifyPresenceRequest } from './presence-request';

/** What the edge checked of a PUBLISH; presence decides on the entity-tag. */
interface CheckedPublish {
  ifMatch?: string;
  expires: number;
  state?: PublishedState;
}

/** True when a PIDF entity (`pres:` or `sip:` URI, RFC 3863 §4.1.1) names the AOR `sip:user@d`. */
function entityNames(entity: string, aor: string): boolean {
  const match = /^(?:pres|sips?):([^@;?\s]+)@([^;?>\s]+)$/i.exec(entity.trim());
  return match !== null && aorOfUser(match[1], match[2]) === aor;
}

/**
 * PUBLISH of presence (RFC 3903, protocol.md §7). The edge checks what needs no state (identity,
 * Event, Request-URI, body, Expires), then asks presence, which holds the publications and their
 * entity-tags in PostgreSQL, and answers with its decision (412 needs that state).
 */
export class PublishHandler implements MethodHandler {
  readonly method = 'PUBLISH';
  constructor(
    private readonly config: SipEdgeConfig,
    private readonly intake: CommandIntake,
    private readonly decisions: ServiceDecisions,
  ) {}

  async handle(inbound: InboundRequest): Promise<SipResponse> {
    const { request } = inbound;
    // RFC 3903 §6 step 2: an event package we do not serve gets 489 with Allow-Events.
    const binding = identifyPresenceRequest(this.intake, inbound);
    if (binding instanceof SipResponse) return binding;
    // The Request-URI is the presentity (RFC 3903 §4): a device publishes its own user's presence.
    if (aorOf(request.requestUri, this.config.domain) !== binding.aor) {
      return responseTo(request, 403, 'Forbidden (a device publishes only its own presence)');
    }
    const checked = this.check(request, binding);
    if (checked instanceof SipResponse) return checked;
    return this.askPresence(inbound, binding, checked);
  }

  /** RFC 3903 §6 steps 3-5: body type, PIDF content, expiry; what remains (the entity-tag) is presence's. */
  private check(request: SipRequest, binding: FlowBinding): CheckedPublish | SipResponse {
    const ifMatch = request.sipIfMatch;
    let state: PublishedState | undefined;
    if (request.body.length > 0) {
      if (request.contentType?.mediaType !== PIDF_CONTENT_TYPE) {
        return this.intake.unsupportedMediaType(request, [PIDF_CONTENT_TYPE]);
      }
      if (this.intake.isTooLarge(request)) return this.intake.tooLarge(request);
      try {
        const document = parsePidf(request.bodyText, LIMITS.noteLength);
        if (!entityNames(document.entity, binding.aor)) {
          return responseTo(request, 400, `Bad Request (PIDF entity is not ${binding.aor})`);
        }
        state = { basic: document.basic, ...(document.note === undefined ? {} : { note: document.note }) };
      } catch (error) {
        if (!(error instanceof PidfError)) throw error;
        return responseTo(request, 400, `Bad Request (PIDF: ${error.message})`);
      }
    } else if (ifMatch === undefined) {
      // §4.1: an initial publication carries the state; only a refresh or removal has no body.
      return responseTo(request, 400, 'Bad Request (initial PUBLISH without a PIDF body)');
    }
    const requested = request.expires ?? this.config.defaultExpires;
    if (requested === 0 && ifMatch === undefined) {
      return responseTo(request, 400, 'Bad Request (Expires: 0 needs SIP-If-Match)');
    }
    // §6 step 5: too brief gets 423; too long is lowered to what Herald grants (the 200 says it).
    if (requested > 0 && requested < this.config.minExpires) {
      return responseTo(request, 423, undefined, [['Min-Expires', String(this.config.minExpires)]]);
    }
    const expires = Math.min(requested, this.config.defaultExpires);
    return {
      expires,
      ...(ifMatch === undefined ? {} : { ifMatch }),
      ...(state === undefined ? {} : { state }),
    };
  }

  private async askPresence(
    inbound: InboundRequest,
    binding: FlowBinding,
    checked: CheckedPublish,
  ): Promise<SipResponse> {
    const { request, txKey } = inbound;
    const event = publishRequestedV1.build({
      edgeId: this.config.edgeId,
      txKey,
      flowId: inbound.flow.id,
      aor: binding.aor,
      deviceId: binding.deviceId,
      callId: request.callId ?? '',
      ...checked,
      deadline: this.decisions.deadline('publish'),
    });
    const asked = await this.decisions.ask(
      'publish',
      request,
      txKey,
      publishRequestedV1.record(event),
      binding.aor,
    );
    if ('unavailable' in asked) return asked.unavailable;
    return this.answer(request, asked.decision);
  }

  private answer(request: SipRequest, decision: PublishDecidedV1): SipResponse {
    if (decision.status !== 200) return responseTo(request, decision.status, decision.reason);
    // RFC 3903 §6 step 7-8: the 200 carries the new entity-tag and the granted expiry.
    const headers: [string, string][] = [['Expires', String(decision.expires ?? 0)]];
    if (decision.etag !== undefined) headers.unshift(['SIP-ETag', decision.etag]);
    return responseTo(request, 200, decision.reason, headers);
  }
}
