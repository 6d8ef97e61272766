import { ENVELOPE_CONTENT_TYPE } from '#herald/contracts';
import { SipResponse } from '#herald/sip';
import { PLAIN_TEXT_CONTENT_TYPE } from '../command-intake';
import { InboundRequest, MethodHandler } from '../inbound-request';
import { responseTo } from '../../sip/responses';

/** OPTIONS (RFC 3261 §11.2): what this edge accepts, for capability queries and keep-alive probes. */
export class OptionsHandler implements MethodHandler {
  readonly method = 'OPTIONS';

  constructor(private readonly allowedMethods: () => readonly string[]) {}

  async handle(inbound: InboundRequest): Promise<SipResponse> {
    return responseTo(inbound.request, 200, undefined, [
      ['Allow', this.allowedMethods().join(', ')],
      ['Accept', `${ENVELOPE_CONTENT_TYPE}, ${PLAIN_TEXT_CONTENT_TYPE}`],
      ['Supported', ''],
    ]);
  }
}
