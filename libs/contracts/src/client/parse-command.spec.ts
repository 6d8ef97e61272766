import { parseCommand, parseCommandObject, parseEnvelope } from './parse-command';

describe('parseCommand', () => {
  it('parses the login of protocol.md §6 and applies the default status', () => {
    expect(parseCommand('{"v":1,"id":"c-1","type":"login"}')).toEqual({
      kind: 'command',
      command: { v: 1, id: 'c-1', type: 'login', status: 'online' },
    });
  });

  it('keeps unknown fields of a known command (they are ignored, not rejected)', () => {
    const result = parseCommand('{"v":1,"id":"c-2","type":"roster.get","clientHint":7}');
    expect(result).toEqual({
      kind: 'command',
      command: { v: 1, id: 'c-2', type: 'roster.get', clientHint: 7 },
    });
  });

  it.each([
    ['not JSON', 'hello', 'body is not valid JSON'],
    ['an array', '[1]', 'body is not a JSON object'],
    ['JSON null', 'null', 'body is not a JSON object'],
    ['wrong version', '{"v":2,"id":"a","type":"login"}', 'bad envelope: v: v must be 1'],
    ['missing id', '{"v":1,"type":"login"}', 'bad envelope: id: id must be a string'],
    ['empty id', '{"v":1,"id":"","type":"login"}', 'bad envelope: id: id must be 1-64 characters'],
    [
      '65-char id',
      `{"v":1,"id":"${'x'.repeat(65)}","type":"login"}`,
      'bad envelope: id: id must be 1-64 characters',
    ],
    ['numeric type', '{"v":1,"id":"a","type":3}', 'bad envelope: type: type must be a string'],
  ])('rejects %s as a bad envelope naming the problem', (_case, body, reason) => {
    expect(parseCommand(body)).toEqual({ kind: 'bad-envelope', reason });
  });

  it('accepts a 64-character id', () => {
    expect(parseCommand(`{"v":1,"id":"${'x'.repeat(64)}","type":"logout"}`).kind).toBe('command');
  });

  it('reports an unknown type with the envelope so the result can name it', () => {
    expect(parseCommand('{"v":1,"id":"u-1","type":"teleport"}')).toEqual({
      kind: 'unknown-type',
      envelope: { v: 1, id: 'u-1', type: 'teleport' },
      message: 'unknown type "teleport"',
    });
  });

  it('does not take inherited property names for command types', () => {
    expect(parseCommand('{"v":1,"id":"u-2","type":"toString"}').kind).toBe('unknown-type');
  });

  it.each([
    ['presence.set without status', { type: 'presence.set' }, 'bad-request', /^status: /],
    ['presence.set with offline', { type: 'presence.set', status: 'offline' }, 'bad-request', /^status: /],
    ['roster.add with a non-SIP uri', { type: 'roster.add', uri: 'mailto:bob@x' }, 'bad-request', /^uri: /],
    ['buddy.answer without accept', { type: 'buddy.answer', from: 'sip:bob@x' }, 'bad-request', /^accept: /],
    [
      'im.send with a number as text',
      { type: 'im.send', to: 'sip:bob@x', text: 5 },
      'bad-request',
      /^text: /,
    ],
    [
      'im.send over 4096 chars',
      { type: 'im.send', to: 'sip:bob@x', text: 'a'.repeat(4097) },
      'too-large',
      /^text: /,
    ],
    [
      'presence.set note over 256',
      { type: 'presence.set', status: 'away', note: 'n'.repeat(257) },
      'too-large',
      /^note: /,
    ],
    [
      'profile.set settings over 4 KiB',
      { type: 'profile.set', settings: { blob: 'é'.repeat(2045) } },
      'too-large',
      /^settings: must serialize to at most 4096 bytes/,
    ],
    [
      'profile.set settings not an object',
      { type: 'profile.set', settings: 'dark' },
      'bad-request',
      /^settings: /,
    ],
  ])('rejects %s as an invalid command', (_case, fields, code, message) => {
    const result = parseCommandObject({ v: 1, id: 'k-1', ...fields });
    expect(result).toEqual({
      kind: 'invalid-command',
      envelope: { v: 1, id: 'k-1', ...fields },
      code,
      message: expect.stringMatching(message),
    });
  });

  it.each([
    ['im.send at exactly 4096 chars', { type: 'im.send', to: 'sip:bob@x', text: 'a'.repeat(4096) }],
    ['presence.set note at exactly 256', { type: 'presence.set', status: 'busy', note: 'n'.repeat(256) }],
    [
      'profile.set with settings at the limit',
      { type: 'profile.set', settings: { b: 'x'.repeat(4096 - 8) } },
    ],
    ['logout with an ignored status', { type: 'logout', status: 'whatever' }],
    ['buddy.answer refusing', { type: 'buddy.answer', from: 'sip:bob@herald.example', accept: false }],
    ['roster.update', { type: 'roster.update', uri: 'sip:bob@herald.example', group: 'work' }],
    ['roster.remove', { type: 'roster.remove', uri: 'sips:bob@herald.example' }],
    ['profile.get', { type: 'profile.get' }],
    ['login with device', { type: 'login', status: 'invisible', device: { name: 'phone', agent: 'x/1' } }],
  ])('accepts %s', (_case, fields) => {
    expect(parseCommandObject({ v: 1, id: 'k-2', ...fields })).toEqual({
      kind: 'command',
      command: expect.objectContaining({ id: 'k-2', ...fields }),
    });
  });
});

describe('parseEnvelope', () => {
  it('reads v, id and type only, every other field kept as sent', () => {
    expect(parseEnvelope('{"v":1,"id":"c-1","type":"presence.set","status":42,"x":[1]}')).toEqual({
      kind: 'envelope',
      envelope: { v: 1, id: 'c-1', type: 'presence.set', status: 42, x: [1] },
    });
  });

  it.each([
    ['hello', 'body is not valid JSON'],
    ['[1]', 'body is not a JSON object'],
    ['{"v":2,"id":"a","type":"login"}', 'bad envelope: v: v must be 1'],
  ])('rejects %s as parseCommand does', (body, reason) => {
    expect(parseEnvelope(body)).toEqual({ kind: 'bad-envelope', reason });
    expect(parseCommand(body)).toEqual({ kind: 'bad-envelope', reason });
  });
});
