import { loadEdgeLinkSettings } from './edge-link-settings';
import { ConfigError } from './read-settings';
import { loadSipEdgeSettings } from './sip-edge-settings';

const TOKEN = 'a-shared-token-of-32-characters!';

describe('the edge link settings of the edge (loadSipEdgeSettings)', () => {
  it('listens on 0.0.0.0:5090 without a token by default', () => {
    const settings = loadSipEdgeSettings({});
    expect(settings).toMatchObject({ edgeLinkPort: 5090, edgeLinkHost: '0.0.0.0' });
    expect(settings.edgeLinkToken).toBeUndefined();
  });

  it.each([
    ['0', 0],
    ['7001', 7001],
    ['off', 'off'],
    [' off ', 'off'],
  ])('reads HERALD_EDGE_LINK_PORT=%j', (raw, port) => {
    expect(loadSipEdgeSettings({ HERALD_EDGE_LINK_PORT: raw }).edgeLinkPort).toBe(port);
  });

  it('reads the host and the token', () => {
    expect(
      loadSipEdgeSettings({ HERALD_EDGE_LINK_HOST: '127.0.0.1', HERALD_EDGE_LINK_TOKEN: TOKEN }),
    ).toMatchObject({ edgeLinkHost: '127.0.0.1', edgeLinkToken: TOKEN });
  });

  it.each(['65536', '-1', '1.5', 'on', 'false', '50 90'])(
    'refuses HERALD_EDGE_LINK_PORT=%j naming the variable',
    (raw) => {
      expect(() => loadSipEdgeSettings({ HERALD_EDGE_LINK_PORT: raw })).toThrow('HERALD_EDGE_LINK_PORT');
    },
  );

  it('refuses a token too short to be a secret', () => {
    expect(() => loadSipEdgeSettings({ HERALD_EDGE_LINK_TOKEN: 'short' })).toThrow(
      'HERALD_EDGE_LINK_TOKEN: must be at least 16 characters',
    );
  });
});

describe('loadEdgeLinkSettings (the services)', () => {
  it('is off (undefined) when neither the addresses nor the template is set, even with a token', () => {
    expect(loadEdgeLinkSettings({})).toBeUndefined();
    expect(
      loadEdgeLinkSettings({ HERALD_EDGE_LINK_TOKEN: TOKEN, HERALD_EDGE_LINK_ADDRESSES: ' ' }),
    ).toBeUndefined();
  });

  it('reads the static map, the template and the token as written (the link parses them: service-edge-link.ts)', () => {
    const template = '{edgeId}.herald-sip-edge-headless.herald.svc.cluster.local:5090';
    expect(
      loadEdgeLinkSettings({
        HERALD_EDGE_LINK_ADDRESSES: ' edge-a=127.0.0.1:7001 ',
        HERALD_EDGE_LINK_ADDRESS_TEMPLATE: template,
        HERALD_EDGE_LINK_TOKEN: TOKEN,
      }),
    ).toEqual({
      addresses: 'edge-a=127.0.0.1:7001',
      addressTemplate: template,
      token: TOKEN,
      requests: true,
    });
    expect(loadEdgeLinkSettings({ HERALD_EDGE_LINK_ADDRESS_TEMPLATE: template })).toEqual({
      addresses: undefined,
      addressTemplate: template,
      token: undefined,
      requests: true,
    });
  });

  it('sends the services their requests over the link unless HERALD_EDGE_LINK_REQUESTS is false (on by default)', () => {
    const template = '{edgeId}.edges:5090';
    const read = (requests: string) =>
      loadEdgeLinkSettings({
        HERALD_EDGE_LINK_ADDRESS_TEMPLATE: template,
        HERALD_EDGE_LINK_REQUESTS: requests,
      });
    expect(read('false')?.requests).toBe(false);
    expect(read('true')?.requests).toBe(true);
    expect(() => read('off')).toThrow('HERALD_EDGE_LINK_REQUESTS');
  });

  it('refuses a token too short to be a secret, naming the variable', () => {
    const env = { HERALD_EDGE_LINK_ADDRESS_TEMPLATE: '{edgeId}.edges:5090', HERALD_EDGE_LINK_TOKEN: 'short' };
    expect(() => loadEdgeLinkSettings(env)).toThrow('HERALD_EDGE_LINK_TOKEN: must be at least 16 characters');
    expect(() => loadEdgeLinkSettings(env)).toThrow(ConfigError);
  });
});
