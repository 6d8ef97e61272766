import { ConfigError } from './read-settings';
import {
  DEFAULT_EMBEDDED_POSTGRES_PORT,
  loadEmbeddedSettings,
  RESERVED_POSTGRES_SETTINGS,
} from './embedded-settings';

describe('loadEmbeddedSettings', () => {
  it('defaults to .herald in the checkout, port 5433 and demo accounts', () => {
    expect(loadEmbeddedSettings('/repo', {})).toEqual({
      dataDir: '/repo/.herald',
      postgresPort: DEFAULT_EMBEDDED_POSTGRES_PORT,
      demoAccounts: true,
      postgresSettings: [],
    });
  });

  it('reads HERALD_DATA_DIR, HERALD_PG_PORT and HERALD_DEMO_ACCOUNTS; empty counts as unset', () => {
    expect(
      loadEmbeddedSettings('/repo', {
        HERALD_DATA_DIR: '/var/lib/herald',
        HERALD_PG_PORT: '6543',
        HERALD_DEMO_ACCOUNTS: ' ',
      }),
    ).toEqual({ dataDir: '/var/lib/herald', postgresPort: 6543, demoAccounts: true, postgresSettings: [] });
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

  it('reads HERALD_PG_SETTINGS as name=value settings separated by whitespace', () => {
    expect(
      loadEmbeddedSettings('/repo', {
        HERALD_PG_SETTINGS:
          ' shared_preload_libraries=pg_stat_statements\n pg_stat_statements.track_planning=on ',
      }).postgresSettings,
    ).toEqual(['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track_planning=on']);
  });

  it('refuses a HERALD_PG_SETTINGS entry that is not name=value, and every setting Herald sets itself', () => {
    expect(() => loadEmbeddedSettings('/repo', { HERALD_PG_SETTINGS: 'work_mem 8MB' })).toThrow(
      /HERALD_PG_SETTINGS: "work_mem" is not name=value/,
    );
    for (const name of RESERVED_POSTGRES_SETTINGS) {
      expect(() =>
        loadEmbeddedSettings('/repo', { HERALD_PG_SETTINGS: `work_mem=8MB ${name.toUpperCase()}=x` }),
      ).toThrow(new RegExp(`HERALD_PG_SETTINGS: ${name.toUpperCase()} is set by Herald itself`));
    }
  });
});
