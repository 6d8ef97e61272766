import { LaunchError } from './herald-launch';
import { KAMAILIO_CONFIG, kamailioArgs } from './kamailio';

describe('kamailioArgs', () => {
  it('runs the in-memory registrar (no preprocessor defines) in the foreground on the given loopback port', () => {
    const args = kamailioArgs({ port: 15060, runDir: '/tmp/k' });
    expect(args).toEqual([
      '-f',
      KAMAILIO_CONFIG,
      '-l',
      'udp:127.0.0.1:15060',
      '-m',
      '1024',
      '-M',
      '32',
      '-DD',
      '-E',
      '-Y',
      '/tmp/k',
      '-w',
      '/tmp/k',
    ]);
  });

  it('switches the same config to the write-through location table with its database URL as a quoted define', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/herald_test';
    const args = kamailioArgs({ port: 15060, runDir: '/tmp/k', usrlocDbUrl: url });
    expect(args.slice(0, 2)).toEqual(['-f', KAMAILIO_CONFIG]);
    expect(args.slice(-4)).toEqual(['-A', 'WITH_DURABLE_USRLOC', '-A', `USRLOC_DB_URL="${url}"`]);
  });

  it('sets the worker count on the command line, over the cfg', () => {
    const args = kamailioArgs({ port: 15060, runDir: '/tmp/k', workers: 8 });
    expect(args.slice(-2)).toEqual(['-n', '8']);
  });

  it('refuses a database URL that would end the quoted define early', () => {
    expect(() => kamailioArgs({ port: 15060, runDir: '/tmp/k', usrlocDbUrl: 'postgres://a"b@h/db' })).toThrow(
      LaunchError,
    );
  });
});
