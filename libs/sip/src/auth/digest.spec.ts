import { createHmac } from 'node:crypto';
import { parseAuthHeader } from '../message';
import {
  buildDigestChallenges,
  computeDigestResponse,
  DigestFreshnessChecker,
  ha1,
  NonceCountTracker,
  NonceIssuer,
  parseDigestAuthorization,
  verifyDigestResponse,
} from '.';

// RFC 7616 §3.9.1 example.
const RFC7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  nc: '00000001',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  qop: 'auth',
};

describe('digest response (RFC 7616 §3.9.1, RFC 2617 §3.5)', () => {
  it('matches the RFC 7616 SHA-256 example', () => {
    const key = ha1('SHA-256', RFC7616.username, RFC7616.realm, RFC7616.password);
    const response = computeDigestResponse({ ...RFC7616, ha1: key, algorithm: 'SHA-256' });
    expect(response).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('matches the RFC 7616 MD5 example', () => {
    const key = ha1('MD5', RFC7616.username, RFC7616.realm, RFC7616.password);
    expect(computeDigestResponse({ ...RFC7616, ha1: key, algorithm: 'MD5' })).toBe(
      '8ca523f5e9506fed4657c9700eebdbec',
    );
  });

  it('matches the RFC 2617 example and verifies its Authorization header', () => {
    const header =
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
      'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const credentials = parseDigestAuthorization(header);
    expect(credentials).toEqual({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
      response: '6629fae49393a05397450978507c4ef1',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      algorithm: 'MD5',
    });
    const key = ha1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const check = {
      ha1: key,
      method: 'GET',
      uri: credentials.uri,
      nonce: credentials.nonce,
      nc: '00000001',
      cnonce: '0a4f113b',
      qop: 'auth',
      algorithm: credentials.algorithm,
    };
    expect(verifyDigestResponse({ ...check, response: credentials.response })).toBe(true);
    expect(verifyDigestResponse({ ...check, response: credentials.response.toUpperCase() })).toBe(true);
    expect(verifyDigestResponse({ ...check, response: '6629fae49393a05397450978507c4ef2' })).toBe(false);
    expect(verifyDigestResponse({ ...check, method: 'POST', response: credentials.response })).toBe(false);
    expect(verifyDigestResponse({ ...check, response: 'short' })).toBe(false);
  });

  it('refuses qop other than auth', () => {
    const key = ha1('MD5', 'a', 'b', 'c');
    expect(() => computeDigestResponse({ ...RFC7616, ha1: key, algorithm: 'MD5', qop: 'auth-int' })).toThrow(
      expect.objectContaining({ code: 'digest-unsupported-qop' }),
    );
  });
});

describe('Authorization parsing', () => {
  it('handles escapes, case-insensitive names, SHA-256 and whitespace', () => {
    const credentials = parseDigestAuthorization(
      'digest USERNAME="a\\"b" ,realm="r",nonce="n",uri="sip:x",response="00",algorithm=sha-256',
    );
    expect(credentials.username).toBe('a"b');
    expect(credentials.algorithm).toBe('SHA-256');
    expect(credentials.qop).toBeUndefined();
  });

  it.each([
    ['Basic abc'],
    ['Digest username="a"'],
    ['Digest username="a, realm="r"'],
    ['Digest username="a" realm="r"'],
    ['Digest username="a", username="b", realm="r", nonce="n", uri="u", response="x"'],
  ])('rejects %s', (header) => {
    expect(() => parseDigestAuthorization(header)).toThrow(
      expect.objectContaining({ code: 'digest-malformed-header' }),
    );
  });

  it('rejects unknown algorithms', () => {
    expect(() =>
      parseDigestAuthorization(
        'Digest username="a", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-1',
      ),
    ).toThrow(expect.objectContaining({ code: 'digest-unsupported-algorithm' }));
  });
});

describe('challenges', () => {
  it('offers one challenge per algorithm in the order given, each with qop="auth"', () => {
    const [sha, md5, ...rest] = buildDigestChallenges({
      realm: 'herald.example',
      nonce: 'n1',
      opaque: 'o"1',
      algorithms: ['SHA-256', 'MD5'],
    });
    expect(rest).toEqual([]);
    expect(sha).toBe(
      'Digest realm="herald.example", nonce="n1", opaque="o\\"1", algorithm=SHA-256, qop="auth"',
    );
    expect(md5).toBe('Digest realm="herald.example", nonce="n1", opaque="o\\"1", algorithm=MD5, qop="auth"');
    const parsed = parseAuthHeader(sha);
    expect(parsed.params.get('opaque')).toBe('o"1');
    expect(parsed.params.get('qop')).toBe('auth');
  });

  it.each([[['MD5', 'SHA-256']], [['MD5']], [['SHA-256']]] as const)(
    'offers %j in that order',
    (algorithms) => {
      const offered = buildDigestChallenges({ realm: 'r', nonce: 'n', algorithms }).map((challenge) =>
        parseAuthHeader(challenge).params.get('algorithm'),
      );
      expect(offered).toEqual(algorithms);
    },
  );

  it('marks stale challenges', () => {
    const challenges = buildDigestChallenges({
      realm: 'r',
      nonce: 'n',
      stale: true,
      algorithms: ['SHA-256', 'MD5'],
    });
    expect(challenges).toHaveLength(2);
    for (const challenge of challenges) {
      expect(challenge.endsWith(', stale=true')).toBe(true);
      expect(challenge).not.toContain('opaque');
    }
  });
});

describe('NonceIssuer', () => {
  let now = 1_000_000;
  const issuer = new NonceIssuer({ secret: 'edge-secret', lifetimeMs: 60_000, now: () => now });

  it('verifies on another replica with the same secret, and is unique per issue', () => {
    const replica = new NonceIssuer({ secret: 'edge-secret', lifetimeMs: 60_000, now: () => now });
    const nonce = issuer.issue('herald.example');
    expect(issuer.issue('herald.example')).not.toBe(nonce);
    expect(replica.verify(nonce, 'herald.example')).toBe('valid');
  });

  it('is invalid with another secret, another realm or any tampering', () => {
    const nonce = issuer.issue('herald.example');
    expect(new NonceIssuer({ secret: 'other', now: () => now }).verify(nonce, 'herald.example')).toBe(
      'invalid',
    );
    expect(issuer.verify(nonce, 'other.example')).toBe('invalid');
    const flipped = nonce[5] === 'A' ? 'B' : 'A';
    expect(issuer.verify(nonce.slice(0, 5) + flipped + nonce.slice(6), 'herald.example')).toBe('invalid');
    expect(issuer.verify(nonce + 'A', 'herald.example')).toBe('invalid');
    expect(issuer.verify('not a nonce!', 'herald.example')).toBe('invalid');
  });

  it('is base64url(timestamp | salt | HMAC-SHA-256(secret, timestamp | salt | realm) truncated to 16 bytes)', () => {
    const raw = Buffer.from(issuer.issue('herald.example'), 'base64url');
    expect(raw).toHaveLength(32);
    expect(Number(raw.readBigUInt64BE(0))).toBe(now);
    const mac = createHmac('sha256', 'edge-secret')
      .update(raw.subarray(0, 16))
      .update('herald.example')
      .digest();
    expect(raw.subarray(16).equals(mac.subarray(0, 16))).toBe(true);
  });

  it('takes the secret as a string or as its UTF-8 bytes, never an empty one', () => {
    const fromBytes = new NonceIssuer({ secret: Buffer.from('edge-secret', 'utf8'), now: () => now });
    expect(issuer.verify(fromBytes.issue('r'), 'r')).toBe('valid');
    expect(fromBytes.verify(issuer.issue('r'), 'r')).toBe('valid');
    expect(() => new NonceIssuer({ secret: '' })).toThrow(RangeError);
  });

  it('becomes stale after its lifetime', () => {
    const nonce = issuer.issue('r');
    now += 60_000;
    expect(issuer.verify(nonce, 'r')).toBe('valid');
    now += 1;
    expect(issuer.verify(nonce, 'r')).toBe('stale');
  });

  it('refuses nonces stamped beyond the clock skew in the future', () => {
    const future = new NonceIssuer({ secret: 'edge-secret', now: () => now + 120_000 }).issue('r');
    expect(issuer.verify(future, 'r')).toBe('invalid');
  });

  describe('remembering its recent nonces (one MAC per REGISTER)', () => {
    const nodeCrypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    afterEach(() => jest.restoreAllMocks());

    it('verifies a nonce it issued without computing its MAC again; a replica computes it', () => {
      const nonce = issuer.issue('herald.example');
      const macs = jest.spyOn(nodeCrypto, 'createHmac');
      expect(issuer.verify(nonce, 'herald.example')).toBe('valid');
      expect(macs).not.toHaveBeenCalled();
      const replica = new NonceIssuer({ secret: 'edge-secret', lifetimeMs: 60_000, now: () => now });
      expect(replica.verify(nonce, 'herald.example')).toBe('valid');
      expect(macs).toHaveBeenCalledTimes(1);
    });

    it('refuses a remembered nonce with its time, salt or MAC changed, or for another realm', () => {
      const raw = Buffer.from(issuer.issue('herald.example'), 'base64url');
      for (const offset of [7, 12, 20]) {
        const changed = Buffer.from(raw);
        changed[offset] ^= 1;
        expect(issuer.verify(changed.toString('base64url'), 'herald.example')).toBe('invalid');
      }
      expect(issuer.verify(raw.toString('base64url'), 'other.example')).toBe('invalid');
    });

    it('verifies a nonce it no longer remembers by its MAC', () => {
      const oldest = issuer.issue('r');
      for (let i = 0; i < 16_384; i++) issuer.issue('r');
      const macs = jest.spyOn(nodeCrypto, 'createHmac');
      expect(issuer.verify(oldest, 'r')).toBe('valid');
      expect(macs).toHaveBeenCalledTimes(1);
      const raw = Buffer.from(oldest, 'base64url');
      raw[31] ^= 1;
      expect(issuer.verify(raw.toString('base64url'), 'r')).toBe('invalid');
    });
  });
});

describe('NonceCountTracker', () => {
  it('accepts increasing counts and rejects replays', () => {
    const tracker = new NonceCountTracker(10);
    expect(tracker.accept('n', 1, '00000001')).toBe('accepted');
    expect(tracker.accept('n', 1, '00000001')).toBe('replayed');
    expect(tracker.accept('n', 1, '00000003')).toBe('accepted');
    expect(tracker.accept('n', 1, '00000002')).toBe('replayed');
    expect(tracker.accept('other', 1, '00000001')).toBe('accepted');
    expect(() => tracker.accept('n', 1, '4')).toThrow(expect.objectContaining({ code: 'digest-invalid-nc' }));
    expect(() => tracker.accept('n', 1, '00000000')).toThrow(
      expect.objectContaining({ code: 'digest-invalid-nc' }),
    );
  });

  it('stays within its capacity and never reopens a replay window for an evicted nonce', () => {
    const tracker = new NonceCountTracker(2);
    tracker.accept('a', 10, '00000001');
    tracker.accept('b', 20, '00000001');
    tracker.accept('a', 10, '00000002');
    tracker.accept('c', 30, '00000001'); // evicts b, the least recently used
    expect(tracker.size).toBe(2);
    expect(tracker.accept('a', 10, '00000002')).toBe('replayed');
    expect(tracker.accept('b', 20, '00000001')).toBe('forgotten');
    expect(tracker.accept('d', 15, '00000001')).toBe('forgotten');
    expect(tracker.accept('e', 21, '00000001')).toBe('accepted');
  });

  it('drops the counts of nonces past their lifetime, which stay closed to replay', () => {
    const tracker = new NonceCountTracker(10, 100);
    tracker.accept('a', 10, '00000001');
    tracker.accept('b', 50, '00000001');
    tracker.accept('c', 120, '00000001'); // a was issued more than 100 before c: dropped
    expect(tracker.size).toBe(2);
    tracker.accept('d', 151, '00000001'); // b too
    expect(tracker.size).toBe(2);
    expect(tracker.accept('a', 10, '00000002')).toBe('forgotten');
    expect(tracker.accept('b', 50, '00000001')).toBe('forgotten');
    expect(tracker.accept('c', 120, '00000001')).toBe('replayed');
  });
});

describe('DigestFreshnessChecker', () => {
  const now = 5_000_000;
  const issuer = new NonceIssuer({ secret: 's', lifetimeMs: 1000, now: () => now });
  const checker = new DigestFreshnessChecker(issuer, new NonceCountTracker());
  const base = {
    username: 'u',
    realm: 'r',
    uri: 'sip:r',
    response: 'x',
    algorithm: 'MD5' as const,
    qop: 'auth',
  };

  it('reports fresh, then replayed for the same nc', () => {
    const nonce = issuer.issue('r');
    expect(checker.check({ ...base, nonce, nc: '00000001', cnonce: 'c' }, 'r')).toEqual({ verdict: 'fresh' });
    expect(checker.check({ ...base, nonce, nc: '00000001', cnonce: 'c' }, 'r')).toEqual({
      verdict: 'replayed',
    });
  });

  it('reports stale for a nonce whose counts were evicted', () => {
    const small = new DigestFreshnessChecker(issuer, new NonceCountTracker(1));
    const first = issuer.issue('r');
    const second = issuer.issue('r');
    expect(small.check({ ...base, nonce: first, nc: '00000001', cnonce: 'c' }, 'r')).toEqual({
      verdict: 'fresh',
    });
    expect(small.check({ ...base, nonce: second, nc: '00000001', cnonce: 'c' }, 'r')).toEqual({
      verdict: 'fresh',
    });
    expect(small.check({ ...base, nonce: first, nc: '00000001', cnonce: 'c' }, 'r')).toEqual({
      verdict: 'stale',
    });
  });

  it('reports stale and invalid', () => {
    const old = new NonceIssuer({ secret: 's', now: () => now - 5000 }).issue('r');
    expect(checker.check({ ...base, nonce: old, nc: '00000001', cnonce: 'c' }, 'r')).toEqual({
      verdict: 'stale',
    });
    const nonce = issuer.issue('r');
    expect(checker.check({ ...base, nonce, nc: '00000001', cnonce: 'c' }, 'x').verdict).toBe('invalid');
    expect(checker.check({ ...base, nonce, nc: '00000001' }, 'r').verdict).toBe('invalid');
    expect(checker.check({ ...base, nonce, nc: 'zz', cnonce: 'c' }, 'r').verdict).toBe('invalid');
    expect(checker.check({ ...base, qop: undefined, nonce, nc: '00000001', cnonce: 'c' }, 'r').verdict).toBe(
      'invalid',
    );
    expect(checker.check({ ...base, nonce: 'forged', nc: '00000001', cnonce: 'c' }, 'r').verdict).toBe(
      'invalid',
    );
  });
});
