import { ENVELOPE_CONTENT_TYPE } from '#herald/contracts';
import { SipResponse } from '#herald/sip';
import { CommandIntake } from '../command-intake';
import { InboundRequest, MethodHandler } from '../inbound-request';
import { responseTo } from '../../sip/responses';

/** The Info Package Herald's commands travel in (protocol.md §2). */
export const HERALD_INFO_PACKAGE = 'herald';

/** INFO carrying an envelope command (protocol.md §2, RFC 6086 outside a dialog as in the patent). */
export class InfoHandler implements MethodHandler {
  readonly method = 'INFO';

  constructor(private readonly intake: CommandIntake) {}

  async handle(inbound: InboundRequest): Promise<SipResponse> {
    const { request } = inbound;
    const binding = this.intake.identify(inbound);
    if (binding instanceof SipResponse) return binding;
    // RFC 6086 §4.2.2: an INFO without (or with another) Info Package than one we support gets 469.
    if (request.infoPackage?.value.toLowerCase() !== HERALD_INFO_PACKAGE) {
      return responseTo(request, 469, undefined, [['Recv-Info', HERALD_INFO_PACKAGE]]);
    }
    if (request.contentType?.mediaType !== ENVELOPE_CONTENT_TYPE) {
      return this.intake.unsupportedMediaType(request, [ENVELOPE_CONTENT_TYPE]);
    }
    if (this.intake.isTooLarge(request)) return this.intake.tooLarge(request);
    return this.intake.forward(inbound, binding, this.intake.decodeEnvelope(request, 'INFO'));
  }
}
