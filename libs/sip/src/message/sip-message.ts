import { NameAddr } from '../grammar/name-addr';
import { parseUri, Uri } from '../grammar/uri';
import { listHeader, singleHeader, toParseError } from './header-access';
import { SipHeaders } from './headers';
import { Address, ContactHeader } from './headers/address';
import { AuthParams } from './headers/auth';
import { CSeq } from './headers/cseq';
import { MediaType, RetryAfter, TokenWithParams } from './headers/tokens';
import { formatVia, Via } from './headers/via';
import { SipParseError } from './parse-error';
import {
  LIST_HEADERS,
  ListHeaderKey,
  ListHeaderValue,
  SINGLE_HEADERS,
  SingleHeaderKey,
  SingleHeaderValue,
} from './typed-headers';

export type HeaderInit = SipHeaders | Iterable<readonly [string, string]>;

function toHeaders(init: HeaderInit | undefined): SipHeaders {
  return init instanceof SipHeaders ? init : new SipHeaders(init);
}

/** Shared by every message without a body: a zero-length Buffer cannot be written to. */
const EMPTY_BODY = Buffer.alloc(0);

function toBody(body: Buffer | string | undefined): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? EMPTY_BODY);
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

  /** Typed value of a header that may appear once (see SINGLE_HEADERS). */
  single<K extends SingleHeaderKey>(key: K): SingleHeaderValue<K> | undefined {
    return singleHeader(this.headers, key, SINGLE_HEADERS[key] as (value: string) => SingleHeaderValue<K>);
  }

  /** Typed value of a list header (see LIST_HEADERS). */
  list<K extends ListHeaderKey>(key: K): ListHeaderValue<K> | undefined {
    return listHeader(
      this.headers,
      key,
      LIST_HEADERS[key] as (values: readonly string[]) => ListHeaderValue<K>,
    );
  }

  /** Every Via value, top first (RFC 3261 §20.42). */
  get via(): Via[] {
    return this.list('via') ?? [];
  }

  get topVia(): Via | undefined {
    return this.via[0];
  }

  /**
   * Puts the Via of a request this process originates on top of a message that has none yet,
   * written from `via` and keeping `via` as its parsed value: the transaction layer keys the
   * request on its branch without reading our own text back (a Via parse per push).
   */
  originateVia(via: Via): void {
    // Its parsed value is the whole Via list only while it is the one Via.
    if (this.headers.has('via')) throw new Error('originateVia: the message already has a Via');
    this.headers.prepend('Via', formatVia(via));
    this.headers.cache('via', [via]);
  }

  get from(): Address | undefined {
    return this.single('from');
  }

  get to(): Address | undefined {
    return this.single('to');
  }

  get callId(): string | undefined {
    return this.single('call-id');
  }

  get cseq(): CSeq | undefined {
    return this.single('cseq');
  }

  get contact(): ContactHeader | undefined {
    return this.list('contact');
  }

  get expires(): number | undefined {
    return this.single('expires');
  }

  get minExpires(): number | undefined {
    return this.single('min-expires');
  }

  get maxForwards(): number | undefined {
    return this.single('max-forwards');
  }

  get contentType(): MediaType | undefined {
    return this.single('content-type');
  }

  get contentLength(): number | undefined {
    return this.single('content-length');
  }

  /** Each Authorization header is one set of credentials (commas belong to its params). */
  get authorization(): AuthParams[] {
    return this.list('authorization') ?? [];
  }

  get proxyAuthorization(): AuthParams[] {
    return this.list('proxy-authorization') ?? [];
  }

  /** Each WWW-Authenticate header is one challenge (Herald sends SHA-256 then MD5). */
  get wwwAuthenticate(): AuthParams[] {
    return this.list('www-authenticate') ?? [];
  }

  get route(): NameAddr[] {
    return this.list('route') ?? [];
  }

  get recordRoute(): NameAddr[] {
    return this.list('record-route') ?? [];
  }

  /** RFC 3327 Path. */
  get path(): NameAddr[] {
    return this.list('path') ?? [];
  }

  get supported(): string[] {
    return this.list('supported') ?? [];
  }

  get require(): string[] {
    return this.list('require') ?? [];
  }

  get allow(): string[] {
    return this.list('allow') ?? [];
  }

  /** RFC 6665 §8.2.1. */
  get event(): TokenWithParams | undefined {
    return this.single('event');
  }

  /** RFC 6665 §8.2.3: state in `value` (active, pending, terminated), expires/reason in params. */
  get subscriptionState(): TokenWithParams | undefined {
    return this.single('subscription-state');
  }

  /** RFC 3903 §11.3.1. */
  get sipETag(): string | undefined {
    return this.single('sip-etag');
  }

  /** RFC 3903 §11.3.2. */
  get sipIfMatch(): string | undefined {
    return this.single('sip-if-match');
  }

  /** RFC 6086 §8.2. */
  get infoPackage(): TokenWithParams | undefined {
    return this.single('info-package');
  }

  get retryAfter(): RetryAfter | undefined {
    return this.single('retry-after');
  }

  get date(): Date | undefined {
    return this.single('date');
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
  let uri: Uri;
  try {
    uri = parseUri(text);
  } catch (error) {
    throw toParseError(error, 'Request-URI', 'SIP_BAD_URI');
  }
  if (uri.kind === 'sip' && uri.headers.size > 0) {
    throw new SipParseError('SIP_BAD_URI', 'headers are not allowed in a Request-URI');
  }
  return uri;
}
