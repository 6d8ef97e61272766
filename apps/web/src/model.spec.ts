import { Conversations, groupRoster, NO_GROUP, toAor, userOf } from './model';

describe('groupRoster', () => {
  it('groups buddies as the user grouped them, by name, ungrouped last, buddies by display name', () => {
    const groups = groupRoster([
      { uri: 'sip:zoe@d', name: 'Zoe', group: 'Work', state: 'both', status: 'online' },
      { uri: 'sip:carl@d', state: 'both', status: 'away' },
      { uri: 'sip:adam@d', name: 'Adam', group: 'Work', state: 'both', status: 'offline' },
      { uri: 'sip:bea@d', name: 'Bea', group: 'Family', state: 'pending-out', status: 'offline' },
    ]);
    expect(groups.map((group) => [group.name, group.buddies.map((buddy) => buddy.uri)])).toEqual([
      ['Family', ['sip:bea@d']],
      ['Work', ['sip:adam@d', 'sip:zoe@d']],
      [NO_GROUP, ['sip:carl@d']],
    ]);
  });
});

describe('addresses', () => {
  it('takes a user name, user@domain or a SIP URI for a buddy', () => {
    expect(toAor(' bob ', 'herald.local')).toBe('sip:bob@herald.local');
    expect(toAor('bob@other.example', 'herald.local')).toBe('sip:bob@other.example');
    expect(toAor('sips:bob@herald.local', 'herald.local')).toBe('sips:bob@herald.local');
    expect(userOf('sip:alice@herald.local')).toBe('alice');
  });
});

describe('Conversations', () => {
  const im = {
    messageId: 'm-1',
    from: 'sip:bob@d',
    text: 'hi',
    sentAt: '2026-01-01T00:00:00Z',
    offline: true,
  };

  it('keeps an incoming message once per id, marked when it waited in the store', () => {
    const conversations = new Conversations();
    expect(conversations.incoming(im)).toMatchObject({ direction: 'in', offline: true, state: 'received' });
    expect(conversations.incoming(im)).toBeUndefined();
    expect(conversations.with('sip:bob@d')).toHaveLength(1);
  });

  it('applies a receipt that arrived before the send result once the message has its id', () => {
    const conversations = new Conversations();
    const message = conversations.outgoing('sip:bob@d', 'hello');
    expect(message.state).toBe('sending');
    expect(conversations.status({ messageId: 'm-9', state: 'stored' })).toBeUndefined();
    conversations.accepted(message, 'm-9');
    expect(message.state).toBe('stored');
    expect(conversations.status({ messageId: 'm-9', state: 'delivered' })).toBe(message);
    expect(message.state).toBe('delivered');
  });

  it('marks a refused message failed with the reason', () => {
    const conversations = new Conversations();
    const message = conversations.outgoing('sip:bob@d', 'hello');
    conversations.refused(message, 'not-allowed');
    expect(message).toMatchObject({ state: 'failed', error: 'not-allowed' });
  });
});
