import { aorDomain, aorOfUser, canonicalAor, userAorOf } from './aor';

describe('canonical AORs', () => {
  it('lower-cases user and host and names sips: and sip: URIs the same AOR', () => {
    expect(canonicalAor('sip:Alice@Herald.Example')).toBe('sip:alice@herald.example');
    expect(canonicalAor('SIPS:alice@herald.example')).toBe('sip:alice@herald.example');
  });

  it('gives the same AOR from a user part and host as from the whole URI', () => {
    expect(aorOfUser('Alice', 'HERALD.example')).toBe(canonicalAor('sips:ALICE@herald.EXAMPLE'));
  });

  it('reads the domain of a canonical AOR', () => {
    expect(aorDomain('sip:alice@herald.example')).toBe('herald.example');
  });
});

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
