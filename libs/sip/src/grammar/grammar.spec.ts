import { isToken, isUser, isWordPair, LONG_STRING } from './chars';
import { GrammarError } from './grammar-error';
import { parseHostPort } from './host';
import { readList, readNameAddr } from './name-addr';
import { readParams } from './params';
import { quote, quotedStringEnd, readQuotedString, unquote } from './quoted-string';
import { parseUri } from './uri';

const rejects = (run: () => unknown): boolean => {
  try {
    run();
    return false;
  } catch (error) {
    if (error instanceof GrammarError) return true;
    throw error;
  }
};

describe('URIs (RFC 3261 §19.1, RFC 5118)', () => {
  it('splits a SIP URI into its parts, keeping escapes', () => {
    expect(parseUri('sips:al%40ice:pw@[2001:db8::1]:5061;transport=tcp;lr?Subject=hi&X=1')).toEqual({
      kind: 'sip',
      scheme: 'sips',
      user: 'al%40ice',
      password: 'pw',
      host: '[2001:db8::1]',
      port: 5061,
      params: new Map([
        ['transport', 'tcp'],
        ['lr', null],
      ]),
      headers: new Map([
        ['Subject', 'hi'],
        ['X', '1'],
      ]),
      raw: 'sips:al%40ice:pw@[2001:db8::1]:5061;transport=tcp;lr?Subject=hi&X=1',
    });
  });

  it('keeps other schemes opaque and rejects what is not a URI', () => {
    expect(parseUri('tel:+1-201-555-0123')).toEqual({
      kind: 'absolute',
      scheme: 'tel',
      raw: 'tel:+1-201-555-0123',
    });
    for (const bad of [
      'sip:a@2001:db8::1',
      'sip:a@[2001:db8:::1]',
      'sip:a@h:99999',
      'sip:a b@h',
      'nocolon',
      'sip:%zz@h',
      'sip:a@-h',
    ]) {
      expect({ bad, rejected: rejects(() => parseUri(bad)) }).toEqual({ bad, rejected: true });
    }
  });

  it('reads host and port, IPv6 only in brackets', () => {
    expect(parseHostPort('[::ffff:192.0.2.1]:5060')).toEqual({ host: '[::ffff:192.0.2.1]', port: 5060 });
    expect(parseHostPort('example.com.')).toEqual({ host: 'example.com.', port: undefined });
    expect(rejects(() => parseHostPort('[::1'))).toBe(true);
  });
});

describe('quoted strings, params, name-addr', () => {
  it('unescapes quoted-pairs and rejects an unterminated string', () => {
    const text = '"a\\"b\\\\c" rest';
    expect(readQuotedString(text, 0)).toEqual({ value: 'a"b\\c', end: text.indexOf(' ') });
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(rejects(() => readQuotedString('"open', 0))).toBe(true);
  });

  it('reads params with whitespace around ; and =, lower-casing names', () => {
    const text = ' ; Tag = x ; lr ;q="0.5", next';
    expect(readParams(text, 0)).toEqual({
      params: new Map([
        ['tag', 'x'],
        ['lr', null],
        ['q', '"0.5"'],
      ]),
      end: text.indexOf(','),
    });
    expect(rejects(() => readParams(';;', 0))).toBe(true);
    expect(rejects(() => readParams(';a=1;A=2', 0))).toBe(true);
  });

  it('reads token and quoted display names, and lists of addresses', () => {
    const list = readList('Bob Smith <sip:bob@h>;tag=1, "Al, B" <sip:al@h>, sip:c@h;x', readNameAddr);
    expect(list.map((a) => [a.displayName, a.uri.raw, [...a.params.keys()]])).toEqual([
      ['Bob Smith', 'sip:bob@h', ['tag']],
      ['Al, B', 'sip:al@h', []],
      [undefined, 'sip:c@h', ['x']],
    ]);
    for (const bad of ['<sip:a@h', '< sip:a@h>', 'sip:a@h?x=y', 'Bob, Smith <sip:a@h>', '<sip:a@h>,']) {
      expect({ bad, rejected: rejects(() => readList(bad, readNameAddr)) }).toEqual({ bad, rejected: true });
    }
  });
});

describe('character classes of long values (regexes) and short ones (loops) agree', () => {
  /** Long enough that the regex path runs. */
  const long = 'a'.repeat(LONG_STRING);

  it('tokens, users with escapes, Call-ID words', () => {
    for (const prefix of ['', long]) {
      expect([isToken(`${prefix}z9hG4bK-1`), isToken(`${prefix}z9:1`), isToken(`${prefix}z 1`)]).toEqual([
        true,
        false,
        false,
      ]);
      expect([
        isToken(`${prefix}é`),
        isUser(`${prefix}%41b`),
        isUser(`${prefix}%4`),
        isUser(`${prefix}%zz`),
      ]).toEqual([false, true, false, false]);
      expect([
        isWordPair(`${prefix}x@host`),
        isWordPair(`${prefix}x@`),
        isWordPair(`@${prefix}x`),
        isWordPair(`${prefix}x@y@z`),
        isWordPair(`${prefix}x y`),
      ]).toEqual([true, false, false, false, false]);
    }
  });

  it('quoted strings: plain, with quoted-pairs, with a control character, unterminated', () => {
    for (const content of ['ab', long]) {
      const plain = `"${content}\tc" rest`;
      expect(quotedStringEnd(plain, 0)).toBe(plain.indexOf(' '));
      const escaped = `"${content}\\"c" rest`;
      expect(readQuotedString(escaped, 0)).toEqual({ value: `${content}"c`, end: escaped.indexOf(' ') });
      expect(unquote(escaped.slice(0, escaped.indexOf(' ')))).toBe(`${content}"c`);
      expect(rejects(() => quotedStringEnd(`"${content}\u0001"`, 0))).toBe(true);
      expect(rejects(() => quotedStringEnd(`"${content}`, 0))).toBe(true);
    }
  });

  it('param values end at the first character outside gen-value', () => {
    for (const value of ['z9', `z9hG4bK-${long}`]) {
      const text = `;branch=${value};received=[::1], next`;
      expect(readParams(text, 0)).toEqual({
        params: new Map([
          ['branch', value],
          ['received', '[::1]'],
        ]),
        end: text.indexOf(','),
      });
      expect(rejects(() => readParams(`;branch=${value}@x`, 0))).toBe(true);
    }
  });
});
