import { ConfigError } from './read-settings';
import { DEFAULT_IM_MESSAGE_RETENTION_DAYS, loadImRouterSettings } from './im-router-settings';

describe('loadImRouterSettings', () => {
  it('keeps delivered messages a week unless HERALD_IM_MESSAGE_RETENTION_DAYS says otherwise', () => {
    expect(DEFAULT_IM_MESSAGE_RETENTION_DAYS).toBe(7);
    expect(loadImRouterSettings({})).toEqual({ messageRetentionDays: 7 });
    expect(loadImRouterSettings({ HERALD_IM_MESSAGE_RETENTION_DAYS: '30' })).toEqual({
      messageRetentionDays: 30,
    });
    expect(loadImRouterSettings({ HERALD_IM_MESSAGE_RETENTION_DAYS: '3650' })).toEqual({
      messageRetentionDays: 3650,
    });
  });

  it.each(['0', '-1', '1.5', '3651', 'a week'])(
    'refuses HERALD_IM_MESSAGE_RETENTION_DAYS=%s with CONFIG_INVALID naming the variable',
    (raw) => {
      expect(() => loadImRouterSettings({ HERALD_IM_MESSAGE_RETENTION_DAYS: raw })).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining('HERALD_IM_MESSAGE_RETENTION_DAYS'),
        }),
      );
      expect(() => loadImRouterSettings({ HERALD_IM_MESSAGE_RETENTION_DAYS: raw })).toThrow(ConfigError);
    },
  );
});
