import { SIP_VERSION } from '#herald/sip';

describe('libs/sip entry point', () => {
  it('resolves through the #herald import map', () => {
    expect(SIP_VERSION).toBe('SIP/2.0');
  });
});
