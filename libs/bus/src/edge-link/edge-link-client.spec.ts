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
});
