import { NameAddr, parseUri, Uri } from '../grammar';
import { parseHeaderValue, listHeader, singleHeader } from './header-access';
import { SipHeaders } from './headers';
import { SipParseError } from './parse-error';
import { Address, ContactHeader, parseAddress, parseAddressList, parseContacts } from './headers/address';
import { AuthParams, parseAuthHeader } from './headers/auth';
import { CSeq, parseCSeq } from './headers/cseq';
import { MAX_MAX_FORWARDS, parseBoundedInteger, parseDeltaSeconds } from './headers/numbers';
import {
  checkCallId,
  checkToken,
  MediaType,
  parseDate,
  parseMediaType,
  parseRetryAfter,
  parseTokenList,
  parseTokenWithParams,
  RetryAfter,
  TokenWithParams,
} from './headers/tokens';
import { readViaList, Via } from './headers/via';

/** Largest Content-Length accepted by the accessor; the parser's maxMessageBytes bounds it further. */
const MAX_CONTENT_LENGTH = 2 ** 31 - 1;

export type HeaderInit = SipHeaders | Iterable<readonly [string, string]>;

function toHeaders(init: HeaderInit | undefined): SipHeaders {
  return init instanceof SipHeaders ? init : new SipHeaders(init);
}

function toBody(body: Buffer | string | undefined): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? Buffer.alloc(0));
}

/**
 * What requests and responses share: the header fields and typed, lazily parsed and cached views
 * of the headers Herald uses. An accessor returns undefined when the header is absent and throws
 * SipParseError (SIP_BAD_HEADER) when it is malformed or a single-valued header is repeated.
 */
export abstract class SipMessageBase {
  readonly headers: SipHeaders;
  body: Buffer;

  protected constructor(headers: HeaderInit | undefined, body: Buffer | string | undefined) {
    this.headers = toHeaders(headers);
    this.body = toBody(body);
  }

  /** Every Via value, top first (RFC 3261 §20.42). */
  get via(): Via[] {
    return listHeader(this.headers, 'Via', readViaList) ?? [];
  }

  get topVia(): Via | undefined {
    return this.via[0];
  }

  get from(): Address | undefined {
    return singleHeader(this.headers, 'From', parseAddress);
  }

  get to(): Address | undefined {
    return singleHeader(this.headers, 'To', parseAddress);
  }

  get callId(): string | undefined {
    return singleHeader(this.headers, 'Call-ID', checkCallId);
  }

  get cseq(): CSeq | undefined {
    return singleHeader(this.headers, 'CSeq', parseCSeq);
  }

  get contact(): ContactHeader | undefined {
    return listHeader(this.headers, 'Contact', parseContacts);
  }

  get expires(): number | undefined {
    return singleHeader(this.headers, 'Expires', (v) => parseDeltaSeconds(v, 'Expires'));
  }

  get minExpires(): number | undefined {
    return singleHeader(this.headers, 'Min-Expires', (v) => parseDeltaSeconds(v, 'Min-Expires'));
  }

  get maxForwards(): number | undefined {
    return singleHeader(this.headers, 'Max-Forwards', (v) =>
      parseBoundedInteger(v, MAX_MAX_FORWARDS, 'Max-Forwards'),
    );
  }

  get contentType(): MediaType | undefined {
    return singleHeader(this.headers, 'Content-Type', parseMediaType);
  }

  get contentLength(): number | undefined {
    return singleHeader(this.headers, 'Content-Length', (v) =>
      parseBoundedInteger(v, MAX_CONTENT_LENGTH, 'length'),
    );
  }

  /** Each Authorization header is one set of credentials (commas belong to its params). */
  get authorization(): AuthParams[] {
    return listHeader(this.headers, 'Authorization', (values) => values.map(parseAuthHeader)) ?? [];
  }

  get proxyAuthorization(): AuthParams[] {
    return listHeader(this.headers, 'Proxy-Authorization', (values) => values.map(parseAuthHeader)) ?? [];
  }

  /** Each WWW-Authenticate header is one challenge (Herald sends SHA-256 then MD5). */
  get wwwAuthenticate(): AuthParams[] {
    return listHeader(this.headers, 'WWW-Authenticate', (values) => values.map(parseAuthHeader)) ?? [];
  }

  get route(): NameAddr[] {
    return listHeader(this.headers, 'Route', parseAddressList) ?? [];
  }

  get recordRoute(): NameAddr[] {
    return listHeader(this.headers, 'Record-Route', parseAddressList) ?? [];
  }

  /** RFC 3327 Path. */
  get path(): NameAddr[] {
    return listHeader(this.headers, 'Path', parseAddressList) ?? [];
  }

  get supported(): string[] {
    return listHeader(this.headers, 'Supported', parseTokenList) ?? [];
  }

  get require(): string[] {
    return listHeader(this.headers, 'Require', parseTokenList) ?? [];
  }

  get allow(): string[] {
    return listHeader(this.headers, 'Allow', parseTokenList) ?? [];
  }

  /** RFC 6665 §8.2.1. */
  get event(): TokenWithParams | undefined {
    return singleHeader(this.headers, 'Event', parseTokenWithParams);
  }

  /** RFC 6665 §8.2.3: state in `value` (active, pending, terminated), expires/reason in params. */
  get subscriptionState(): TokenWithParams | undefined {
    return singleHeader(this.headers, 'Subscription-State', parseTokenWithParams);
  }

  /** RFC 3903 §11.3.1. */
  get sipETag(): string | undefined {
    return singleHeader(this.headers, 'SIP-ETag', checkToken);
  }

  /** RFC 3903 §11.3.2. */
  get sipIfMatch(): string | undefined {
    return singleHeader(this.headers, 'SIP-If-Match', checkToken);
  }

  /** RFC 6086 §8.2. */
  get infoPackage(): TokenWithParams | undefined {
    return singleHeader(this.headers, 'Info-Package', parseTokenWithParams);
  }

  get retryAfter(): RetryAfter | undefined {
    return singleHeader(this.headers, 'Retry-After', parseRetryAfter);
  }

  get date(): Date | undefined {
    return singleHeader(this.headers, 'Date', parseDate);
  }

  /** The body decoded as UTF-8 (SIP bodies Herald reads are JSON, text/plain or PIDF XML). */
  get bodyText(): string {
    return this.body.toString('utf8');
  }
}

export interface SipRequestInit {
  method: string;
  uri: string;
  headers?: HeaderInit;
  body?: Buffer | string;
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request';
  readonly method: string;
  /** Request-URI as written. */
  readonly uri: string;
  private parsedUri: Uri | undefined;

  constructor(init: SipRequestInit) {
    super(init.headers, init.body);
    this.method = init.method;
    this.uri = init.uri;
  }

  /** The parsed Request-URI; SIP_BAD_URI when malformed (the parser has already checked it). */
  get requestUri(): Uri {
    this.parsedUri ??= parseRequestUri(this.uri);
    return this.parsedUri;
  }
}

export interface SipResponseInit {
  status: number;
  reason: string;
  headers?: HeaderInit;
  body?: Buffer | string;
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response';
  readonly status: number;
  readonly reason: string;

  constructor(init: SipResponseInit) {
    super(init.headers, init.body);
    this.status = init.status;
    this.reason = init.reason;
  }
}

export type SipMessage = SipRequest | SipResponse;

/** Request-URI rules (RFC 3261 §19.1.1): no URI headers, and nothing but the URI itself. */
export function parseRequestUri(text: string): Uri {
  const uri = parseHeaderValue('Request-URI', () => parseUri(text), 'SIP_BAD_URI');
  if (uri.kind === 'sip' && uri.headers.size > 0) {
    throw new SipParseError('SIP_BAD_URI', 'headers are not allowed in a Request-URI');
  }
  return uri;
}
