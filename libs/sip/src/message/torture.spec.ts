import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseMessage } from './parse';
import { SipParseError, SipParseErrorCode } from './parse-error';
import { serializeMessage } from './serialize';
import { SipMessage, SipRequest } from './sip-message';
import { LIST_HEADERS, ListHeaderKey, SINGLE_HEADERS, SingleHeaderKey } from './typed-headers';
import { assertCoreHeaders } from './validate';

// RFC 4475 / RFC 5118 torture messages, read at test time from the shared corpus next to the repo.
const CORPUS = resolve(__dirname, '../../../../../shared/corpora/sip-torture');

interface Entry {
  path: string;
  cls: 'V' | 'I' | 'S';
  section: string;
}

const manifest: Entry[] = readFileSync(join(CORPUS, 'manifest.tsv'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .map((line) => {
    const [path, cls, section] = line.split('\t');
    return { path, cls: cls as Entry['cls'], section };
  });

const load = (path: string): Buffer => readFileSync(join(CORPUS, path));
const name = (path: string): string => path.replace(/^.*\//, '').replace(/\.dat$/, '');

function rejection(path: string): SipParseError {
  try {
    parseMessage(load(path));
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error(`${path} was accepted`);
}

function request(path: string): SipRequest {
  const message = parseMessage(load(path));
  if (message.kind !== 'request') throw new Error(`${path} is not a request`);
  return message;
}

function codeOf(run: () => unknown): SipParseErrorCode | 'none' {
  try {
    run();
    return 'none';
  } catch (error) {
    if (error instanceof SipParseError) return error.code;
    throw error;
  }
}

/** Reads every typed header the message layer offers (what the layers above may touch). */
function readAllTyped(message: SipMessage): void {
  for (const key of Object.keys(SINGLE_HEADERS) as SingleHeaderKey[]) message.single(key);
  for (const key of Object.keys(LIST_HEADERS) as ListHeaderKey[]) message.list(key);
}

const REJECTION_CODES: Record<string, SipParseErrorCode> = {
  badinv01: 'SIP_BAD_HEADER',
  clerr: 'SIP_CONTENT_LENGTH_MISMATCH',
  ncl: 'SIP_BAD_HEADER',
  scalar02: 'SIP_BAD_HEADER',
  scalarlg: 'SIP_BAD_HEADER',
  quotbal: 'SIP_BAD_HEADER',
  ltgtruri: 'SIP_BAD_URI',
  lwsruri: 'SIP_BAD_START_LINE',
  lwsstart: 'SIP_BAD_START_LINE',
  trws: 'SIP_BAD_START_LINE',
  escruri: 'SIP_BAD_URI',
  baddate: 'SIP_BAD_HEADER',
  regbadct: 'SIP_BAD_HEADER',
  badaspec: 'SIP_BAD_HEADER',
  baddn: 'SIP_BAD_HEADER',
  badvers: 'SIP_BAD_VERSION',
  mismatch01: 'SIP_CSEQ_METHOD_MISMATCH',
  mismatch02: 'SIP_CSEQ_METHOD_MISMATCH',
  bigcode: 'SIP_BAD_STATUS_CODE',
  'ipv6-bad': 'SIP_BAD_URI',
  'ipv6-bug-abnf-3-colons': 'SIP_BAD_URI',
};

/** What the layer above needs to see in each S-class message (RFC 4475 §3.2-3.4). */
const SEMANTIC_CHECKS: Record<string, (message: SipMessage) => void> = {
  badbranch: (m) => expect(m.topVia?.branch).toBe('z9hG4bK'),
  insuf: (m) => {
    expect([m.from, m.to, m.callId, m.maxForwards]).toEqual([undefined, undefined, undefined, undefined]);
    expect(codeOf(() => assertCoreHeaders(m))).toBe('SIP_MISSING_HEADER');
  },
  unkscm: (m) =>
    expect((m as SipRequest).requestUri).toMatchObject({ kind: 'absolute', scheme: 'nobodyknowsthisscheme' }),
  novelsc: (m) =>
    expect((m as SipRequest).requestUri).toMatchObject({ kind: 'absolute', scheme: 'soap.beep' }),
  unksm2: (m) => {
    expect(m.to?.uri).toMatchObject({ kind: 'absolute', scheme: 'isbn' });
    expect(m.from?.uri).toMatchObject({ kind: 'absolute', scheme: 'http' });
    const contact = m.contact;
    expect(contact?.wildcard === false && contact.contacts[0].uri).toMatchObject({
      kind: 'absolute',
      scheme: 'name',
    });
  },
  bext01: (m) => expect(m.require).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']),
  invut: (m) => expect(m.contentType?.mediaType).toBe('application/unknownformat'),
  regaut01: (m) => expect(m.authorization[0].scheme).toBe('NoOneKnowsThisScheme'),
  multi01: (m) => {
    for (const read of [() => m.to, () => m.from, () => m.callId, () => m.cseq, () => m.maxForwards]) {
      expect(codeOf(read)).toBe('SIP_BAD_HEADER');
    }
    expect(codeOf(() => assertCoreHeaders(m))).toBe('SIP_BAD_HEADER');
  },
  mcl01: (m) => {
    expect(codeOf(() => m.contentLength)).toBe('SIP_BAD_HEADER');
    expect(codeOf(() => assertCoreHeaders(m))).toBe('SIP_BAD_HEADER');
  },
  bcast: (m) => expect(m.via.map((v) => v.host)).toEqual(['192.0.2.198', '255.255.255.255']),
  zeromf: (m) => expect(m.maxForwards).toBe(0),
  cparam01: (m) => {
    const contact = m.contact?.wildcard === false ? m.contact.contacts[0] : undefined;
    expect(contact?.params.has('unknownparam')).toBe(true);
    expect(contact?.uri.kind === 'sip' && contact.uri.params.size).toBe(0);
  },
  cparam02: (m) => {
    const contact = m.contact?.wildcard === false ? m.contact.contacts[0] : undefined;
    expect(contact?.params.size).toBe(0);
    expect(contact?.uri.kind === 'sip' && contact.uri.params.has('unknownparam')).toBe(true);
  },
  regescrt: (m) => {
    const contact = m.contact?.wildcard === false ? m.contact.contacts[0] : undefined;
    expect(contact?.uri.kind === 'sip' && contact.uri.headers.get('Route')).toBe('%3Csip:sip.example.com%3E');
  },
  sdp01: (m) => {
    expect(m.headers.get('accept')).toBe('text/nobodyKnowsThis');
    expect(m.contentType?.mediaType).toBe('application/sdp');
  },
  inv2543: (m) => {
    expect(m.topVia?.branch).toBeUndefined();
    expect(m.maxForwards).toBeUndefined();
    expect(m.contentLength).toBeUndefined();
    expect(m.body.length).toBeGreaterThan(0);
  },
};

describe('RFC 4475 / RFC 5118 torture corpus', () => {
  it('has the 61 messages of the manifest, each with a check', () => {
    expect(manifest).toHaveLength(61);
    for (const { path, cls } of manifest) {
      if (cls === 'I') expect(REJECTION_CODES).toHaveProperty([name(path)]);
      if (cls === 'S') expect(SEMANTIC_CHECKS).toHaveProperty([name(path)]);
    }
  });

  describe.each(manifest.filter((e) => e.cls === 'V'))('V $path (§$section)', ({ path }) => {
    it('parses, every typed header reads, and it survives a serialize/parse round trip', () => {
      const message = parseMessage(load(path));
      readAllTyped(message);
      assertCoreHeaders(message);
      const again = parseMessage(serializeMessage(message));
      expect(again.kind).toBe(message.kind);
      expect([...again.headers].filter((f) => f.key !== 'content-length')).toEqual(
        [...message.headers].filter((f) => f.key !== 'content-length'),
      );
      expect(again.body.equals(message.body)).toBe(true);
    });
  });

  describe.each(manifest.filter((e) => e.cls === 'I'))('I $path (§$section)', ({ path }) => {
    it('is rejected with its stable code, a reason and the headers a 400 needs', () => {
      const error = rejection(path);
      expect(error.code).toBe(REJECTION_CODES[name(path)]);
      expect(error.reason.length).toBeGreaterThan(0);
      const callId = /^(?:Call-ID|i)[ \t]*:[ \t]*(.*?)\r$/im.exec(load(path).toString('latin1'))?.[1];
      expect(error.partial?.callId).toBe(callId);
      expect(error.partial?.via.length).toBeGreaterThan(0);
    });
  });

  describe.each(manifest.filter((e) => e.cls === 'S'))('S $path (§$section)', ({ path }) => {
    it('parses and exposes what the layer above must act on', () => {
      SEMANTIC_CHECKS[name(path)](parseMessage(load(path)));
    });
  });

  it('reads the details of the valid messages', () => {
    const wsinv = request('rfc4475/wsinv.dat');
    expect(wsinv.from?.displayName).toBe('J Rosenberg \\"');
    expect(wsinv.to?.tag).toBe('1918181833n');
    expect(wsinv.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(wsinv.maxForwards).toBe(68);
    expect(wsinv.via.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(wsinv.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    const dblreq = request('rfc4475/dblreq.dat');
    expect([dblreq.method, dblreq.body.length]).toEqual(['REGISTER', 0]);
    expect(
      request('rfc4475/esc02.dat').contact?.wildcard === false && request('rfc4475/esc02.dat').contact,
    ).toMatchObject({
      contacts: [{ uri: { host: 'host1.example.com' } }, { uri: { host: 'host3.example.com' } }],
    });
    expect(request('rfc4475/semiuri.dat').requestUri).toMatchObject({
      user: 'user;par=u%40example.net',
      host: 'example.com',
    });
    expect(request('rfc5118/port-ambiguous').requestUri).toMatchObject({
      host: '[2001:db8::10:5070]',
      port: undefined,
    });
    expect(request('rfc5118/port-unambiguous').requestUri).toMatchObject({
      host: '[2001:db8::10]',
      port: 5070,
    });
    expect(request('rfc5118/via-received-param-with-delim').topVia?.received).toBe('[2001:db8::9:255]');
    expect(request('rfc5118/via-received-param-no-delim').topVia?.received).toBe('2001:db8::9:255');
    const noreason = parseMessage(load('rfc4475/noreason.dat'));
    expect(noreason.kind === 'response' && [noreason.status, noreason.reason]).toEqual([100, '']);
  });
});
