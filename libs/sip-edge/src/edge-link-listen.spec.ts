import { loadSipEdgeSettings } from '#herald/config';
import { edgeLinkListenOf } from './sip-edge';

describe('edgeLinkListenOf (the link server of the edge settings)', () => {
  it('listens on 0.0.0.0:5090 without a token by default', () => {
    expect(edgeLinkListenOf(loadSipEdgeSettings({}))).toEqual({ host: '0.0.0.0', port: 5090 });
  });

  it('carries the host, the port and the token set', () => {
    const settings = loadSipEdgeSettings({
      HERALD_EDGE_LINK_PORT: '0',
      HERALD_EDGE_LINK_HOST: '127.0.0.1',
      HERALD_EDGE_LINK_TOKEN: 'a-shared-token-of-32-characters!',
    });
    expect(edgeLinkListenOf(settings)).toEqual({
      host: '127.0.0.1',
      port: 0,
      token: 'a-shared-token-of-32-characters!',
    });
  });

  it('is none with HERALD_EDGE_LINK_PORT=off: the edge has no link, Kafka only', () => {
    expect(edgeLinkListenOf(loadSipEdgeSettings({ HERALD_EDGE_LINK_PORT: 'off' }))).toBeUndefined();
  });
});
