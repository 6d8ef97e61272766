import { ENVELOPE_CONTENT_TYPE, PLAIN_TEXT_MEDIA_TYPE } from '#herald/contracts';
import { PIDF_CONTENT_TYPE, SipResponse } from '#herald/sip';
import { InboundRequest, MethodHandler } from '../inbound-request';
import { responseTo } from '../../sip/responses';

/**
 * OPTIONS to `sip:D` (RFC 3261 §11): what this edge accepts, for capability queries and the
 * keep-alive probes of softphones and load balancers. Answered from any flow, registered or not,
 * with the header fields §11.2 says a 200 SHOULD carry: Allow, Accept (the bodies of INFO,
 * MESSAGE and PUBLISH), Accept-Encoding (identity only), Accept-Language and Supported (no
 * extension).
 */
export class OptionsHandler implements MethodHandler {
  readonly method = 'OPTIONS';

  constructor(private readonly allowedMethods: () => readonly string[]) {}

  async handle(inbound: InboundRequest): Promise<SipResponse> {
    return responseTo(inbound.request, 200, undefined, [
      ['Allow', this.allowedMethods().join(', ')],
      ['Accept', `${ENVELOPE_CONTENT_TYPE}, ${PLAIN_TEXT_MEDIA_TYPE}, ${PIDF_CONTENT_TYPE}`],
      ['Accept-Encoding', 'identity'],
      ['Accept-Language', 'en'],
      ['Supported', ''],
    ]);
  }
}
