import { embeddedDatabaseUrls } from './embedded-database-urls';

describe('embeddedDatabaseUrls', () => {
  it('reaches PostgreSQL over its Unix socket in the data directory, and tools over loopback TCP', () => {
    const urls = embeddedDatabaseUrls('/srv/herald/pg', 5433);

    expect(urls).toEqual({
      url: 'postgres://postgres:herald@127.0.0.1:5433/herald',
      localUrl: `postgres://postgres:herald@127.0.0.1:5433/herald?host=${encodeURIComponent('/srv/herald/pg')}`,
      socketDirectory: '/srv/herald/pg',
    });
  });

  it('stays on loopback TCP when the socket path would not fit in a Unix socket address', () => {
    const urls = embeddedDatabaseUrls(`/srv/${'d'.repeat(100)}/pg`, 5433);

    expect(urls.socketDirectory).toBeUndefined();
    expect(urls.localUrl).toBe(urls.url);
  });
});
