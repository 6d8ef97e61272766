import { parseMessage } from './parse';
import { SipParseError, SipParseErrorCode } from './parse-error';
import { createResponse, createResponseFrom } from './response';
import { serializeMessage } from './serialize';
import { SipMessage, SipRequest } from './sip-message';

function lines(...parts: string[]): Buffer {
  return Buffer.from(parts.join('\r\n'));
}

const REGISTER = lines(
  'REGISTER sip:herald.example SIP/2.0',
  'v: SIP/2.0/UDP [2001:db8::10]:5070;rport;branch=z9hG4bK-1',
  'Via: SIP/2.0/TCP proxy.example:5060;branch=z9hG4bK-0;received=192.0.2.1;rport=6000',
  'max-forwards: 70',
  'f: "Alice \\"A\\"" <sip:alice@herald.example>;tag=a7',
  't: <sip:alice@herald.example>',
  'i: reg-1@192.0.2.10',
  'CSeq: 3 REGISTER',
  'm: <sip:alice@192.0.2.10:5070;transport=udp>;expires=600;+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>",',
  ' <sip:alice@[2001:db8::10]>;q=0.5',
  'Expires: 3600',
  'Supported: outbound, path',
  'k: gruu',
  'Authorization: Digest username="alice", realm="herald.example", nonce="n1",',
  '  uri="sip:herald.example", response="abc", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c"',
  'Content-Length:    0',
  '',
  '',
);

function request(bytes: Buffer): SipRequest {
  const message = parseMessage(bytes);
  if (message.kind !== 'request') throw new Error('not a request');
  return message;
}

function code(run: () => unknown): SipParseErrorCode | 'none' {
  try {
    run();
    return 'none';
  } catch (error) {
    if (error instanceof SipParseError) return error.code;
    throw error;
  }
}

describe('parseMessage', () => {
  it('reads compact forms, folding, padded Content-Length and every typed accessor of a REGISTER', () => {
    const m = request(REGISTER);
    expect([m.method, m.uri, m.requestUri.kind]).toEqual(['REGISTER', 'sip:herald.example', 'sip']);
    expect(m.via.map((v) => [v.transport, v.host, v.port, v.branch, v.rport, v.received])).toEqual([
      ['UDP', '[2001:db8::10]', 5070, 'z9hG4bK-1', true, undefined],
      ['TCP', 'proxy.example', 5060, 'z9hG4bK-0', 6000, '192.0.2.1'],
    ]);
    expect([m.from?.displayName, m.from?.tag, m.to?.tag, m.callId]).toEqual([
      'Alice "A"',
      'a7',
      undefined,
      'reg-1@192.0.2.10',
    ]);
    expect([m.cseq, m.maxForwards, m.expires, m.contentLength]).toEqual([
      { seq: 3, method: 'REGISTER' },
      70,
      3600,
      0,
    ]);
    const contact = m.contact;
    expect(contact?.wildcard).toBe(false);
    if (contact?.wildcard !== false) return;
    expect(contact.contacts.map((c) => [c.uri.kind === 'sip' && c.uri.host, c.expires, c.instance])).toEqual([
      ['192.0.2.10', 600, '<urn:uuid:00000000-0000-0000-0000-000000000001>'],
      ['[2001:db8::10]', undefined, undefined],
    ]);
    expect(m.supported).toEqual(['outbound', 'path', 'gruu']);
    expect(m.authorization[0].scheme).toBe('Digest');
    expect(Object.fromEntries(m.authorization[0].params)).toMatchObject({
      username: 'alice',
      nc: '00000001',
      qop: 'auth',
    });
  });

  it('reads the SIMPLE and carrier headers', () => {
    const m = parseMessage(
      lines(
        'SIP/2.0 503 Service Unavailable',
        'Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-9',
        'From: <sip:a@h>;tag=1',
        'To: <sip:h>;tag=2',
        'Call-ID: x',
        'CSeq: 9 PUBLISH',
        'Retry-After: 30 (maintenance);duration=60',
        'Event: presence;id=7',
        'Subscription-State: terminated;reason=timeout',
        'SIP-ETag: etag-1',
        'SIP-If-Match: etag-0',
        'Info-Package: herald',
        'Min-Expires: 60',
        'Allow: INFO, MESSAGE',
        'Require: path',
        'Route: <sip:p1;lr>, <sip:p2;lr>',
        'Record-Route: <sip:rr;lr>',
        'Path: <sip:path@edge;lr>',
        'WWW-Authenticate: Digest realm="h", nonce="n", algorithm=SHA-256, qop="auth"',
        'WWW-Authenticate: Digest realm="h", nonce="n", algorithm=MD5, qop="auth"',
        'Date: Sat, 13 Nov 2010 23:29:00 GMT',
        'Content-Type: Application/PIDF+XML; charset=utf-8',
        'Content-Length: 2',
        '',
        'ok',
      ),
    );
    expect(m.kind === 'response' && [m.status, m.reason]).toEqual([503, 'Service Unavailable']);
    expect([m.retryAfter?.seconds, m.retryAfter?.params.get('duration')]).toEqual([30, '60']);
    expect([m.event?.value, m.event?.params.get('id')]).toEqual(['presence', '7']);
    expect([m.subscriptionState?.value, m.subscriptionState?.params.get('reason')]).toEqual([
      'terminated',
      'timeout',
    ]);
    expect([m.sipETag, m.sipIfMatch, m.infoPackage?.value, m.minExpires]).toEqual([
      'etag-1',
      'etag-0',
      'herald',
      60,
    ]);
    expect([m.allow, m.require]).toEqual([['INFO', 'MESSAGE'], ['path']]);
    expect(m.route.map((r) => r.uri.raw)).toEqual(['sip:p1;lr', 'sip:p2;lr']);
    expect([m.recordRoute.length, m.path.length]).toEqual([1, 1]);
    expect(m.wwwAuthenticate.map((c) => c.params.get('algorithm'))).toEqual(['SHA-256', 'MD5']);
    expect(m.date?.toISOString()).toBe('2010-11-13T23:29:00.000Z');
    expect([m.contentType?.mediaType, m.contentType?.params.get('charset'), m.bodyText]).toEqual([
      'application/pidf+xml',
      'utf-8',
      'ok',
    ]);
  });

  it('reads a wildcard Contact and refuses "*" among other contacts', () => {
    const base = ['REGISTER sip:h SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'CSeq: 1 REGISTER'];
    expect(request(lines(...base, 'Contact: *', 'Expires: 0', '', '')).contact).toEqual({ wildcard: true });
    expect(code(() => parseMessage(lines(...base, 'Contact: *, <sip:a@b>', '', '')))).toBe('SIP_BAD_HEADER');
  });

  it('checks lazily read headers when they are read', () => {
    const m = request(
      lines('OPTIONS sip:h SIP/2.0', 'Via: SIP/2.0/UDP h', 'CSeq: 1 OPTIONS', 'Event: ;x', '', ''),
    );
    expect(code(() => m.event)).toBe('SIP_BAD_HEADER');
  });

  it('enforces the limits on datagrams', () => {
    const head = ['OPTIONS sip:h SIP/2.0', 'Via: SIP/2.0/UDP h', 'CSeq: 1 OPTIONS'];
    const many = Array.from({ length: 30 }, (_, i) => `X-${i}: v`);
    expect(code(() => parseMessage(lines(...head, ...many, '', ''), { maxHeaders: 20 }))).toBe(
      'SIP_TOO_MANY_HEADERS',
    );
    expect(
      code(() => parseMessage(lines(...head, `X: ${'a'.repeat(300)}`, '', ''), { maxLineBytes: 200 })),
    ).toBe('SIP_LINE_TOO_LONG');
    expect(
      code(() => parseMessage(lines(...head, 'X: a', ` ${'b'.repeat(300)}`, '', ''), { maxLineBytes: 200 })),
    ).toBe('SIP_LINE_TOO_LONG');
    expect(code(() => parseMessage(Buffer.alloc(70_000, 'a')))).toBe('SIP_MESSAGE_TOO_LARGE');
    expect(code(() => parseMessage(lines(...head, 'X: a')))).toBe('SIP_TRUNCATED');
  });

  it('discards datagram bytes past Content-Length and refuses a short body', () => {
    const head = ['MESSAGE sip:h SIP/2.0', 'Via: SIP/2.0/UDP h', 'CSeq: 1 MESSAGE', 'Call-ID: c1'];
    expect(parseMessage(lines(...head, 'l: 2', '', 'hello')).bodyText).toBe('he');
    const error = (() => {
      try {
        parseMessage(lines(...head, 'l: 9', '', 'hello'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SipParseError);
    expect(
      error instanceof SipParseError && [error.code, error.partial?.callId, error.partial?.method],
    ).toEqual(['SIP_CONTENT_LENGTH_MISMATCH', 'c1', 'MESSAGE']);
  });
});

describe('serializeMessage and createResponse', () => {
  it('answers per RFC 3261 8.2.6: copies Vias, From, To (+tag), Call-ID, CSeq; writes Content-Length', () => {
    const req = request(REGISTER);
    const response = createResponse(req, 200, { toTag: 't1', headers: [['Expires', '3600']] });
    const wire = serializeMessage(response).toString();
    expect(wire).toBe(
      [
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP [2001:db8::10]:5070;rport;branch=z9hG4bK-1',
        'Via: SIP/2.0/TCP proxy.example:5060;branch=z9hG4bK-0;received=192.0.2.1;rport=6000',
        'From: "Alice \\"A\\"" <sip:alice@herald.example>;tag=a7',
        'To: <sip:alice@herald.example>;tag=t1',
        'Call-ID: reg-1@192.0.2.10',
        'CSeq: 3 REGISTER',
        'Expires: 3600',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    expect(createResponse(req, 100).headers.get('to')).toBe('<sip:alice@herald.example>');
    expect(createResponse(req, 401).to?.tag).toMatch(/^[0-9a-f]{16}$/);
  });

  it('builds a 400 from the partial headers of a rejected request', () => {
    let rejected: SipParseError | undefined;
    try {
      parseMessage(
        lines(
          'INFO sip:h SIP/2.0',
          'Via: SIP/2.0/UDP h;branch=z9hG4bK2',
          'From: <sip:a@h>;tag=1',
          'To: <sip:h>;tag=9',
          'Call-ID: c',
          'CSeq: 1 INFO',
          'Max-Forwards: 300',
          '',
          '',
        ),
      );
    } catch (error) {
      if (error instanceof SipParseError) rejected = error;
    }
    expect(rejected?.partial).toBeDefined();
    if (rejected?.partial === undefined) return;
    const response = createResponseFrom(rejected.partial, 400, { reason: rejected.reason });
    const reparsed: SipMessage = parseMessage(serializeMessage(response));
    expect(reparsed.kind === 'response' && [reparsed.status, reparsed.reason]).toEqual([
      400,
      'bad Max-Forwards: Max-Forwards out of range',
    ]);
    expect([reparsed.to?.tag, reparsed.callId, reparsed.cseq?.seq, reparsed.topVia?.branch]).toEqual([
      '9',
      'c',
      1,
      'z9hG4bK2',
    ]);
  });

  it('serializes a built request with its body and round-trips it', () => {
    const body = '{"v":1,"id":"c-1","type":"login"}';
    const built = new SipRequest({
      method: 'INFO',
      uri: 'sip:herald.example',
      headers: [
        ['Via', 'SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-a1'],
        ['From', '<sip:alice@herald.example>;tag=a7'],
        ['To', '<sip:herald.example>'],
        ['Call-ID', 'x@y'],
        ['CSeq', '2 INFO'],
        ['Content-Length', '999'],
      ],
      body,
    });
    const again = request(serializeMessage(built));
    expect([again.contentLength, again.bodyText, again.headers.getAll('content-length')]).toEqual([
      Buffer.byteLength(body),
      body,
      [String(Buffer.byteLength(body))],
    ]);
  });
});
