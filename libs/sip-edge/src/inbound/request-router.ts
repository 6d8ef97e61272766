import { SipResponse } from '#herald/sip';
import { isDomain } from '../sip/aor';
import { responseTo } from '../sip/responses';
import { InboundRequest, MethodHandler } from './inbound-request';

/**
 * Methods of RFC 3261 and its extensions that Herald recognises (RFC 3261 §8.2.1): one without a
 * handler here gets 405 with Allow, any other method 501. SUBSCRIBE and PUBLISH have handlers.
 */
const KNOWN_METHODS: readonly string[] = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'PRACK',
  'UPDATE',
  'REFER',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
];

/** Routes a new request to its method's handler after the checks every method shares (RFC 3261 §8.2). */
export class RequestRouter {
  private readonly handlers: ReadonlyMap<string, MethodHandler>;

  constructor(
    private readonly domain: string,
    handlers: readonly MethodHandler[],
  ) {
    this.handlers = new Map(handlers.map((handler) => [handler.method, handler]));
  }

  get allowedMethods(): string[] {
    return [...this.handlers.keys()];
  }

  async route(inbound: InboundRequest): Promise<SipResponse> {
    const { request } = inbound;
    const handler = this.handlers.get(request.method);
    if (handler === undefined) {
      // §8.2.1: a known method we do not serve gets 405 with Allow; an unknown one 501.
      return KNOWN_METHODS.includes(request.method)
        ? responseTo(request, 405, undefined, [['Allow', this.allowedMethods.join(', ')]])
        : responseTo(request, 501);
    }
    const uri = request.requestUri;
    // §8.2.2.1: a scheme we do not understand gets 416.
    if (uri.kind !== 'sip') return responseTo(request, 416);
    // §8.2.2.1: a Request-URI outside domain D is not ours to accept.
    if (!isDomain(uri.host, this.domain)) return responseTo(request, 404, 'Not Found (not this domain)');
    // §8.2.2.3: we support no extension a client may require.
    const required = request.require;
    if (required.length > 0)
      return responseTo(request, 420, undefined, [['Unsupported', required.join(', ')]]);
    return handler.handle(inbound);
  }
}
