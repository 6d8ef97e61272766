import { SnakeNamingStrategy, snakeCase } from './naming-strategy';

describe('snake_case naming', () => {
  it.each([
    ['deviceId', 'device_id'],
    ['ProcessedCommand', 'processed_command'],
    ['lastSIPEdge', 'last_sip_edge'],
    ['ha1Sha256', 'ha1_sha256'],
    ['aor', 'aor'],
  ])('%s -> %s', (name, expected) => {
    expect(snakeCase(name)).toBe(expected);
  });

  it('keeps explicit table names and prefixes embedded columns', () => {
    const strategy = new SnakeNamingStrategy();
    expect(strategy.tableName('RosterEntry', 'roster')).toBe('roster');
    expect(strategy.tableName('RosterEntry', undefined)).toBe('roster_entry');
    expect(strategy.columnName('remotePort', undefined, ['source'])).toBe('source_remote_port');
    expect(strategy.joinColumnName('ownerAccount', 'id')).toBe('owner_account_id');
  });
});
