import { ConfigError } from './read-settings';
import { DEFAULT_EMBEDDED_POSTGRES_PORT, loadEmbeddedSettings } from './embedded-settings';

describe('loadEmbeddedSettings', () => {
  it('defaults to .herald in the checkout, port 5433 and demo accounts', () => {
    expect(loadEmbeddedSettings('/repo', {})).toEqual({
      dataDir: '/repo/.herald',
      postgresPort: DEFAULT_EMBEDDED_POSTGRES_PORT,
      demoAccounts: true,
    });
  });

  it('reads HERALD_DATA_DIR, HERALD_PG_PORT and HERALD_DEMO_ACCOUNTS; empty counts as unset', () => {
    expect(
      loadEmbeddedSettings('/repo', {
        HERALD_DATA_DIR: '/var/lib/herald',
        HERALD_PG_PORT: '6543',
        HERALD_DEMO_ACCOUNTS: ' ',
      }),
    ).toEqual({ dataDir: '/var/lib/herald', postgresPort: 6543, demoAccounts: true });
    expect(loadEmbeddedSettings('/repo', { HERALD_DEMO_ACCOUNTS: 'false' }).demoAccounts).toBe(false);
  });

  it('reports every bad variable at once', () => {
    const load = () =>
      loadEmbeddedSettings('/repo', { HERALD_PG_PORT: '70000', HERALD_DEMO_ACCOUNTS: 'maybe' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /HERALD_PG_PORT[\s\S]*HERALD_DEMO_ACCOUNTS|HERALD_DEMO_ACCOUNTS[\s\S]*HERALD_PG_PORT/,
    );
  });
});
