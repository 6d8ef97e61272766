import { Socket } from 'node:net';
import { EdgeLinkClient } from './edge-link-client';
import { EdgeLinkDirectory } from './edge-link-directory';

const record = { topic: 'edge.edge-x.outbound.v1', key: 'sip:a@x', value: Buffer.from('1'), headers: {} };

describe('EdgeLinkClient (no network)', () => {
  it('has no link to an edge the directory does not know: 0 at once, nothing opened', async () => {
    const client = new EdgeLinkClient({ origin: 'im-router', directory: new EdgeLinkDirectory({}) });
    expect(client.linkable('edge-x')).toBe(false);
    await expect(client.send('edge-x', [record])).resolves.toBe(0);
    await client.close();
  });

  it('links no edge once closed', async () => {
    const client = new EdgeLinkClient({
      origin: 'im-router',
      directory: new EdgeLinkDirectory({ template: '{edgeId}.edges:5090' }),
    });
    expect(client.linkable('edge-x')).toBe(true);
    await client.close();
    expect(client.linkable('edge-x')).toBe(false);
    await expect(client.send('edge-x', [record])).resolves.toBe(0);
  });

  it('gives up a connection that does not open within the connect timeout: 0, and the edge is held', async () => {
    let opened = 0;
    const neverConnects = (): Socket => {
      opened += 1;
      return new Socket();
    };
    let now = 0;
    const client = new EdgeLinkClient({
      origin: 'im-router',
      directory: new EdgeLinkDirectory({ template: '{edgeId}.edges:5090' }),
      connectTimeoutMs: 10,
      fallbackHoldMs: 1_000,
      now: () => now,
      openSocket: neverConnects,
    });
    await expect(client.send('edge-x', [record])).resolves.toBe(0);
    expect(client.linkable('edge-x')).toBe(false);
    now += 1_000;
    expect(client.linkable('edge-x')).toBe(true);
    expect(opened).toBe(1);
    await client.close();
  });
});
