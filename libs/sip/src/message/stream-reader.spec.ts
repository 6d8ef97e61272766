import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SipParseError, SipParseErrorCode } from './parse-error';
import { SipMessage } from './sip-message';
import { SipStreamReader } from './stream-reader';

const CORPUS = resolve(__dirname, '../../../../../shared/corpora/sip-torture');

const INFO = [
  'INFO sip:herald.example SIP/2.0',
  'Via: SIP/2.0/TCP 192.0.2.10:5070;branch=z9hG4bK-a1',
  'Max-Forwards: 70',
  'From: <sip:alice@herald.example>;tag=a7',
  'To: <sip:herald.example>',
  'Call-ID: 8f2c1e@192.0.2.10',
  'CSeq: 2 INFO',
  'Info-Package: herald',
  'Content-Type: application/vnd.herald+json',
  'Content-Length:    51',
  '',
  '{"v":1,"id":"c-1","type":"login","status":"online"}',
].join('\r\n');

const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/TCP 192.0.2.10:5070;branch=z9hG4bK-a1',
  'CSeq: 2 INFO',
  'l: 0',
  '',
  '',
].join('\r\n');

interface Seen {
  messages: SipMessage[];
  pings: number;
  invalid: SipParseError[];
}

function reader(limits?: ConstructorParameters<typeof SipStreamReader>[1]): {
  reader: SipStreamReader;
  seen: Seen;
} {
  const seen: Seen = { messages: [], pings: 0, invalid: [] };
  const r = new SipStreamReader(
    {
      onMessage: (m) => seen.messages.push(m),
      onKeepAlivePing: () => seen.pings++,
      onInvalidMessage: (e) => seen.invalid.push(e),
    },
    limits,
  );
  return { reader: r, seen };
}

function failure(run: () => void): SipParseErrorCode {
  try {
    run();
  } catch (error) {
    if (error instanceof SipParseError) return error.code;
    throw error;
  }
  throw new Error('no error');
}

const summary = (m: SipMessage): string =>
  m.kind === 'request' ? `${m.method} ${m.bodyText}` : `${m.status} ${m.headers.get('cseq')}`;

describe('SipStreamReader', () => {
  const stream = Buffer.from(`${INFO}\r\n\r\n${OK}${INFO}`);
  const expected = [summary(parseOne(INFO)), '200 2 INFO', summary(parseOne(INFO))];

  function parseOne(text: string): SipMessage {
    const { reader: r, seen } = reader();
    r.push(Buffer.from(text));
    return seen.messages[0];
  }

  it('reads several messages and a ping from one chunk, honouring padded Content-Length', () => {
    const { reader: r, seen } = reader();
    r.push(stream);
    expect(seen.messages.map(summary)).toEqual(expected);
    expect(seen.messages[0].bodyText).toBe('{"v":1,"id":"c-1","type":"login","status":"online"}');
    expect(seen.pings).toBe(1);
    expect(r.bufferedBytes).toBe(0);
  });

  it('gives the same result for the stream split at every byte boundary', () => {
    for (let at = 1; at < stream.length; at++) {
      const { reader: r, seen } = reader();
      r.push(stream.subarray(0, at));
      r.push(stream.subarray(at));
      expect({ at, got: seen.messages.map(summary), pings: seen.pings }).toEqual({
        at,
        got: expected,
        pings: 1,
      });
    }
  });

  it('reads a stream fed one byte at a time', () => {
    const { reader: r, seen } = reader();
    for (let i = 0; i < stream.length; i++) r.push(stream.subarray(i, i + 1));
    expect(seen.messages.map(summary)).toEqual(expected);
    expect(seen.pings).toBe(1);
  });

  it('reports each double-CRLF ping and ignores a lone CRLF before a message (RFC 5626 §4.4.1)', () => {
    const { reader: r, seen } = reader();
    r.push(Buffer.from('\r\n\r\n\r\n\r\n'));
    expect(seen.pings).toBe(2);
    r.push(Buffer.from(`\r\n${OK}`));
    expect([seen.pings, seen.messages.length]).toEqual([2, 1]);
  });

  it('reads both requests of RFC 4475 §3.1.1.8 (dblreq) from a stream', () => {
    const { reader: r, seen } = reader();
    // The corpus file carries 5 bytes past the INVITE's Content-Length; on a stream they are no message.
    expect(failure(() => r.push(readFileSync(resolve(CORPUS, 'rfc4475/dblreq.dat'))))).toBe(
      'SIP_BAD_START_LINE',
    );
    expect(seen.messages.map((m) => (m.kind === 'request' ? m.method : m.status))).toEqual([
      'REGISTER',
      'INVITE',
    ]);
  });

  it('reports an invalid but well-framed message and keeps reading', () => {
    const bad = INFO.replace('CSeq: 2 INFO', 'CSeq: 2 MESSAGE');
    const { reader: r, seen } = reader();
    r.push(Buffer.from(bad + OK));
    expect(seen.invalid.map((e) => [e.code, e.partial?.callId])).toEqual([
      ['SIP_CSEQ_METHOD_MISMATCH', '8f2c1e@192.0.2.10'],
    ]);
    expect(seen.messages.map(summary)).toEqual(['200 2 INFO']);
  });

  it('fails on a never-ending header line before buffering more than the line limit', () => {
    const { reader: r } = reader({ maxLineBytes: 1024 });
    r.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX-Endless: '));
    const code = failure(() => {
      for (;;) {
        r.push(Buffer.alloc(100, 'a'));
        expect(r.bufferedBytes).toBeLessThan(1024 + 200);
      }
    });
    expect(code).toBe('SIP_LINE_TOO_LONG');
    expect(failure(() => r.push(Buffer.from('\r\n')))).toBe('SIP_LINE_TOO_LONG');
  });

  it('fails on endless headers and on an endless folded header', () => {
    const headers = reader({ maxHeaders: 20 });
    headers.reader.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n'));
    expect(
      failure(() => {
        for (;;) headers.reader.push(Buffer.from('X-A: b\r\n'));
      }),
    ).toBe('SIP_TOO_MANY_HEADERS');
    const folded = reader({ maxLineBytes: 512 });
    folded.reader.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX-A: b\r\n'));
    expect(
      failure(() => {
        for (;;) folded.reader.push(Buffer.from(' more\r\n'));
      }),
    ).toBe('SIP_LINE_TOO_LONG');
  });

  it('fails on a header block or a Content-Length over the message limit before reading the body', () => {
    const big = reader({ maxMessageBytes: 2048, maxLineBytes: 4096 });
    big.reader.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n'));
    expect(
      failure(() => {
        for (;;) big.reader.push(Buffer.from(`X-Pad: ${'p'.repeat(100)}\r\n`));
      }),
    ).toBe('SIP_MESSAGE_TOO_LARGE');
    const body = reader({ maxMessageBytes: 2048 });
    expect(
      failure(() =>
        body.reader.push(Buffer.from(INFO.replace('Content-Length:    51', 'Content-Length: 1000000'))),
      ),
    ).toBe('SIP_MESSAGE_TOO_LARGE');
  });

  it('fails on framing it cannot trust', () => {
    const cases: Array<[string, SipParseErrorCode]> = [
      [INFO.replace('Content-Length:    51\r\n', ''), 'SIP_MISSING_CONTENT_LENGTH'],
      [INFO.replace('Content-Length:    51', 'Content-Length: 51\r\nl: 50'), 'SIP_BAD_HEADER'],
      [INFO.replace('Content-Length:    51', 'Content-Length: -1'), 'SIP_BAD_HEADER'],
      ['OPTIONS sip:a@b SIP/2.0\nVia: x\n\n', 'SIP_BAD_HEADER'],
      ['\rX', 'SIP_BAD_START_LINE'],
    ];
    for (const [text, code] of cases) {
      const { reader: r } = reader();
      expect(failure(() => r.push(Buffer.from(text)))).toBe(code);
    }
  });
});
