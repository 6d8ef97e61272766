import { ENVELOPE_CONTENT_TYPE, PLAIN_TEXT_MEDIA_TYPE } from '#herald/contracts';
import { SipResponse } from '#herald/sip';
import { CommandIntake } from '../command-intake';
import { InboundRequest, MethodHandler } from '../inbound-request';

const ACCEPTED = [ENVELOPE_CONTENT_TYPE, PLAIN_TEXT_MEDIA_TYPE] as const;

/** MESSAGE (RFC 3428): an envelope command, or from a plain SIP device a text/plain IM (protocol.md §7). */
export class MessageHandler implements MethodHandler {
  readonly method = 'MESSAGE';

  constructor(private readonly intake: CommandIntake) {}

  async handle(inbound: InboundRequest): Promise<SipResponse> {
    const { request } = inbound;
    const binding = this.intake.identify(inbound);
    if (binding instanceof SipResponse) return binding;
    const mediaType = request.contentType?.mediaType;
    // RFC 3428 §7: a MESSAGE with a body type the UAS does not understand gets 415.
    if (mediaType !== ENVELOPE_CONTENT_TYPE && mediaType !== PLAIN_TEXT_MEDIA_TYPE) {
      return this.intake.unsupportedMediaType(request, ACCEPTED);
    }
    if (this.intake.isTooLarge(request)) return this.intake.tooLarge(request);
    const decoded =
      mediaType === ENVELOPE_CONTENT_TYPE
        ? this.intake.decodeEnvelope(request, 'MESSAGE')
        : this.intake.plainMessage(request);
    return this.intake.forward(inbound, binding, decoded);
  }
}
