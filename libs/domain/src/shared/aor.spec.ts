import { userAorOf } from './aor';

describe('userAorOf', () => {
  it('takes a username as the user part of the domain and an AOR of the domain as it is', () => {
    expect(userAorOf('Herald.Example', 'alice')).toBe('sip:alice@herald.example');
    expect(userAorOf('herald.example', 'sips:Alice@HERALD.example')).toBe('sip:alice@herald.example');
  });

  it('refuses an AOR of another domain, an AOR without a user and a user part that is no username', () => {
    expect(userAorOf('herald.example', 'sip:alice@elsewhere.example')).toBeUndefined();
    expect(userAorOf('herald.example', 'sip:herald.example')).toBeUndefined();
    expect(userAorOf('herald.example', 'Not A User')).toBeUndefined();
    expect(userAorOf('herald.example', 'sip:a b@herald.example')).toBeUndefined();
    expect(userAorOf('herald.example', 'alice@herald.example')).toBeUndefined();
  });
});
