import {
  PushEnvelopeSchema,
  errorResult,
  imPush,
  okResult,
  presencePush,
  profilePush,
  rosterPush,
  serializePush,
} from './pushes';

describe('push builders', () => {
  it('builds a login.result with its command-specific fields', () => {
    expect(okResult('login', 'c-1', { user: 'sip:alice@herald.example', profile: { settings: {} } })).toEqual(
      {
        type: 'login.result',
        re: 'c-1',
        ok: true,
        user: 'sip:alice@herald.example',
        profile: { settings: {} },
      },
    );
  });

  it('builds a result without fields for commands that have none', () => {
    expect(okResult('roster.get', 'c-2')).toEqual({ type: 'roster.get.result', re: 'c-2', ok: true });
  });

  it('builds an error result for any type, including unknown ones', () => {
    expect(errorResult('teleport', 'u-1', 'unknown-type', 'unknown type "teleport"')).toEqual({
      type: 'teleport.result',
      re: 'u-1',
      ok: false,
      error: { code: 'unknown-type', message: 'unknown type "teleport"' },
    });
  });

  it('does not let extra fields override the result core', () => {
    const result = errorResult('im.send', 'c-3', 'not-allowed', 'no', { messageId: 'm-1', ok: true });
    expect(result).toMatchObject({ ok: false, messageId: 'm-1', type: 'im.send.result' });
  });

  it('serializes a push with v and id that a client can parse back', () => {
    const pushes = [
      rosterPush([{ uri: 'sip:bob@herald.example', state: 'both', status: 'online' }]),
      presencePush({ uri: 'sip:bob@herald.example', status: 'busy', at: '2026-01-02T03:04:05Z' }),
      imPush({
        messageId: 'm-1',
        from: 'sip:bob@herald.example',
        text: 'hi',
        sentAt: '2026-01-02T03:04:05Z',
        offline: true,
      }),
      profilePush({ displayName: 'Alice', settings: { theme: 'dark' } }),
      okResult('im.send', 'c-9', { messageId: 'm-2' }),
    ];
    for (const push of pushes) {
      const body = serializePush(push, 'p-1');
      expect(PushEnvelopeSchema.parse(JSON.parse(body))).toEqual({ v: 1, id: 'p-1', ...push });
    }
  });
});
