import { ConfigError } from '#herald/config';
import { edgeLinkDirectoryOf } from './service-edge-link';

describe('edgeLinkDirectoryOf', () => {
  const unset = { addresses: undefined, addressTemplate: undefined, token: undefined, requests: true };

  it('finds an edge in the static map first, then through the template', () => {
    const directory = edgeLinkDirectoryOf({
      ...unset,
      addresses: 'edge-a=127.0.0.1:7001,edge-b=[::1]:7002',
      addressTemplate: '{edgeId}.herald-sip-edge-headless.herald.svc.cluster.local:5090',
    });
    expect(directory.endpointOf('edge-a')).toEqual({ host: '127.0.0.1', port: 7001 });
    expect(directory.endpointOf('edge-b')).toEqual({ host: '::1', port: 7002 });
    expect(directory.endpointOf('herald-sip-edge-3')).toEqual({
      host: 'herald-sip-edge-3.herald-sip-edge-headless.herald.svc.cluster.local',
      port: 5090,
    });
  });

  it('knows only the listed edges without a template', () => {
    const directory = edgeLinkDirectoryOf({ ...unset, addresses: 'edge-a=127.0.0.1:7001' });
    expect(directory.endpointOf('edge-z')).toBeUndefined();
  });

  it.each([
    ['HERALD_EDGE_LINK_ADDRESSES', { addresses: 'edge-a' }],
    ['HERALD_EDGE_LINK_ADDRESSES', { addresses: 'edge-a=127.0.0.1' }],
    ['HERALD_EDGE_LINK_ADDRESSES', { addresses: 'edge-a=127.0.0.1:99999' }],
    ['HERALD_EDGE_LINK_ADDRESSES', { addresses: 'edge-a=127.0.0.1:7001,edge-a=127.0.0.1:7002' }],
    ['HERALD_EDGE_LINK_ADDRESS_TEMPLATE', { addressTemplate: 'herald-sip-edge-headless:5090' }],
    ['HERALD_EDGE_LINK_ADDRESS_TEMPLATE', { addressTemplate: '{edgeId}.herald-sip-edge-headless' }],
    ['HERALD_EDGE_LINK_ADDRESS_TEMPLATE', { addressTemplate: '{edgeId}.herald-sip-edge-headless:port' }],
  ])('refuses a bad %s naming the variable (%j)', (variable, settings) => {
    const read = () => edgeLinkDirectoryOf({ ...unset, ...settings });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(`${variable}: `);
  });

  it('names both variables when both are bad', () => {
    expect(() =>
      edgeLinkDirectoryOf({ ...unset, addresses: 'edge-a', addressTemplate: 'no-placeholder:5090' }),
    ).toThrow(/HERALD_EDGE_LINK_ADDRESSES: [^\n]+\n\s+HERALD_EDGE_LINK_ADDRESS_TEMPLATE: /);
  });
});
