import { createHash } from 'node:crypto';
import {
  CommandCarrier,
  commandReceivedV1,
  Envelope,
  isoTimestamp,
  parseEnvelope,
  routedCommandRecordV1,
} from '#herald/contracts';
import { SipRequest, SipResponse } from '#herald/sip';
import { SipEdgeConfig } from '../edge-config';
import { FlowBinding, FlowRegistry } from '../flows/flow-registry';
import { aorOf } from '../sip/aor';
import { responseTo } from '../sip/responses';
import { BusPublisher } from './bus-publisher';
import { DigestChallenger } from './digest-challenger';
import { InboundRequest } from './inbound-request';

/** What a body of the accepted type becomes: the envelope to forward, or the response that refuses it. */
export type BodyDecoding = { envelope: Envelope; carrier: CommandCarrier } | SipResponse;

/**
 * The steps INFO and MESSAGE share (protocol.md §1-2): the flow must be registered, From must be
 * its AOR, the body must fit and be an envelope, and 200 OK follows only an acknowledged publish.
 */
export class CommandIntake {
  constructor(
    private readonly config: SipEdgeConfig,
    private readonly registry: FlowRegistry,
    private readonly challenger: DigestChallenger,
    private readonly publisher: BusPublisher,
  ) {}

  /**
   * The registration of the request's flow, or the refusal: 401 for an unregistered flow, 403
   * when From is not the flow's AOR. A correct Authorization cannot be verified here (the HA1
   * lives in auth), so an unregistered flow is always challenged: registering is the way in.
   */
  identify(inbound: InboundRequest): FlowBinding | SipResponse {
    const binding = this.registry.lookup(inbound.flow.id);
    // RFC 3261 §22.1: an unauthenticated request is challenged.
    if (binding === undefined) return this.challenger.challenge(inbound.request);
    // protocol.md §1: a request acts as the AOR registered on its flow; anything else is spoofed.
    if (aorOf(inbound.request.from?.uri, this.config.domain) !== binding.aor) {
      return responseTo(inbound.request, 403, 'Forbidden (From is not the registered AOR)');
    }
    return binding;
  }

  /** RFC 3261 §21.4.13: an unsupported Content-Type gets 415 listing what is accepted. */
  unsupportedMediaType(request: SipRequest, accepted: readonly string[]): SipResponse {
    return responseTo(request, 415, undefined, [['Accept', accepted.join(', ')]]);
  }

  /** RFC 3261 §21.4.11: a body over the limit gets 413. */
  isTooLarge(request: SipRequest): boolean {
    return request.body.length > this.config.maxBodyBytes;
  }

  tooLarge(request: SipRequest): SipResponse {
    return responseTo(request, 413, `Request Entity Too Large (limit ${this.config.maxBodyBytes} bytes)`);
  }

  /**
   * protocol.md §3: a body that is not a valid envelope gets 400 with a reason naming the problem.
   * The command's own fields are the owning service's to check (it answers bad ones with
   * `<type>.result`, parsing the envelope again anyway): checking them here too was ~1 % of the
   * edge's CPU per IM.
   */
  decodeEnvelope(request: SipRequest, carrier: CommandCarrier): BodyDecoding {
    const parsed = parseEnvelope(request.bodyText);
    if (parsed.kind === 'bad-envelope') {
      return responseTo(request, 400, `Invalid Envelope: ${parsed.reason.replace(/^bad envelope: /, '')}`);
    }
    return { envelope: parsed.envelope, carrier };
  }

  /** protocol.md §7: a text/plain MESSAGE to `sip:bob@D` is an im.send with carrier MESSAGE-PLAIN. */
  plainMessage(request: SipRequest): BodyDecoding {
    const to = aorOf(request.requestUri, this.config.domain);
    if (to === undefined) return responseTo(request, 404, 'Not Found (no recipient in Request-URI)');
    // The same Call-ID and CSeq mean the same message: its id stays stable across retransmissions.
    const id = createHash('sha256')
      .update(`${request.callId ?? ''}\n${request.cseq?.seq ?? 0}`)
      .digest('hex')
      .slice(0, 32);
    return {
      envelope: { v: 1, id: `sip-${id}`, type: 'im.send', to, text: request.bodyText },
      carrier: 'MESSAGE-PLAIN',
    };
  }

  /**
   * Publishes sip.command-received (key AOR) to the topic of the service that owns its type;
   * 200 OK only once the bus acknowledged (protocol.md §2).
   */
  async forward(inbound: InboundRequest, binding: FlowBinding, decoded: BodyDecoding): Promise<SipResponse> {
    if (decoded instanceof SipResponse) return decoded;
    const { request } = inbound;
    // Trusted (zod here was ~4 % of the edge's CPU per IM): the flow, device, Contact and AOR are
    // the binding's, which passed the validated sip.register-requested (its bounds are the same:
    // FlowIdSchema, DeviceIdSchema for +sip.instance, ContactUriSchema) and register.decided; the
    // envelope is what parseEnvelope validated or built; the Call-ID passed the parser's word check.
    const event = commandReceivedV1.buildTrusted({
      edgeId: this.config.edgeId,
      flowId: inbound.flow.id,
      deviceId: binding.deviceId,
      contact: binding.contact,
      aor: binding.aor,
      carrier: decoded.carrier,
      callId: request.callId ?? '',
      receivedAt: isoTimestamp(inbound.receivedAt.getTime()),
      envelope: decoded.envelope,
    });
    if (!(await this.publisher.publish(routedCommandRecordV1(event)))) {
      return this.publisher.unavailable(request);
    }
    return responseTo(request, 200);
  }
}
