import { md5ChallengeLast } from './challenge-order';

const SHA = 'WWW-Authenticate: Digest realm="herald.local", nonce="n1", qop="auth", algorithm=SHA-256';
const MD5 = 'WWW-Authenticate: Digest realm="herald.local", nonce="n1", qop="auth", algorithm=MD5';

function response(status: string, headers: string[], body = ''): string {
  return [
    `SIP/2.0 ${status}`,
    'Via: SIP/2.0/WS x.invalid;branch=z9hG4bK1',
    ...headers,
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
}

describe('md5ChallengeLast', () => {
  it('moves the MD5 challenge of a 401 after the SHA-256 one, where the challenges were', () => {
    const raw = response('401 Unauthorized', ['Call-ID: c1', MD5, SHA, 'CSeq: 1 REGISTER']);
    expect(md5ChallengeLast(raw)).toBe(
      response('401 Unauthorized', ['Call-ID: c1', SHA, MD5, 'CSeq: 1 REGISTER']),
    );
  });

  it("leaves Herald's default order (SHA-256, then MD5) and an MD5-only 401 as they are", () => {
    const defaultOrder = response('401 Unauthorized', [SHA, MD5]);
    const md5Only = response('401 Unauthorized', [MD5]);
    expect(md5ChallengeLast(defaultOrder)).toBe(defaultOrder);
    expect(md5ChallengeLast(md5Only)).toBe(md5Only);
  });

  it('does not take MD5-sess for MD5 and never touches the body or other messages', () => {
    const sess = SHA.replace('SHA-256', 'MD5-sess');
    const raw = response('401 Unauthorized', [sess, SHA], 'algorithm=MD5');
    expect(md5ChallengeLast(raw)).toBe(raw);
    const ok = response('200 OK', [MD5, SHA]);
    expect(md5ChallengeLast(ok)).toBe(ok);
    const request = `MESSAGE sip:a@b SIP/2.0\r\n${MD5}\r\n${SHA}\r\n\r\n`;
    expect(md5ChallengeLast(request)).toBe(request);
  });
});
