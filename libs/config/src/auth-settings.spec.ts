import { loadAuthSettings } from './auth-settings';

describe('loadAuthSettings', () => {
  it('announces superseded bindings as such unless HERALD_AUTH_ANNOUNCE_SUPERSEDED=false (an upgrade from strict consumers)', () => {
    expect(loadAuthSettings({}).announceSuperseded).toBe(true);
    expect(loadAuthSettings({ HERALD_AUTH_ANNOUNCE_SUPERSEDED: 'false' }).announceSuperseded).toBe(false);
    expect(() => loadAuthSettings({ HERALD_AUTH_ANNOUNCE_SUPERSEDED: 'no' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('HERALD_AUTH_ANNOUNCE_SUPERSEDED'),
      }),
    );
  });
});
