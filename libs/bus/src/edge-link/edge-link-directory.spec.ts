import { EdgeLinkDirectory, parseEdgeLinkAddresses } from './edge-link-directory';

describe('parseEdgeLinkAddresses', () => {
  it('reads edgeId=host:port entries, IPv6 in brackets, spaces and empty entries ignored', () => {
    expect(parseEdgeLinkAddresses(' edge-a=127.0.0.1:7001, ,edge-b=[::1]:7002,')).toEqual(
      new Map([
        ['edge-a', { host: '127.0.0.1', port: 7001 }],
        ['edge-b', { host: '::1', port: 7002 }],
      ]),
    );
    expect(parseEdgeLinkAddresses('')).toEqual(new Map());
  });

  it.each([
    ['edge-a', 'edge-a'],
    ['=127.0.0.1:1', '=127.0.0.1:1'],
    ['edge-a=127.0.0.1', 'edge-a=127.0.0.1'],
    ['edge-a=127.0.0.1:0', 'edge-a=127.0.0.1:0'],
    ['edge-a=127.0.0.1:65536', 'edge-a=127.0.0.1:65536'],
    ['edge-a=:7001', 'edge-a=:7001'],
    ['edge-a=::1:7001', 'edge-a=::1:7001'],
    ['edge-a=h:1,edge-a=h:2', 'edge-a=h:2'],
  ])('throws a RangeError naming the bad entry of %s', (text, entry) => {
    expect(() => parseEdgeLinkAddresses(text)).toThrow(RangeError);
    expect(() => parseEdgeLinkAddresses(text)).toThrow(`"${entry}"`);
  });
});

describe('EdgeLinkDirectory', () => {
  it('answers from the map first, then from the template', () => {
    const directory = new EdgeLinkDirectory({
      addresses: new Map([['edge-a', { host: '10.0.0.1', port: 7001 }]]),
      template: '{edgeId}.edges.herald.svc:5090',
    });
    expect(directory.endpointOf('edge-a')).toEqual({ host: '10.0.0.1', port: 7001 });
    expect(directory.endpointOf('edge-7')).toEqual({ host: 'edge-7.edges.herald.svc', port: 5090 });
    expect(directory.empty).toBe(false);
  });

  it('knows no edge without a map or template (the link is off)', () => {
    const directory = new EdgeLinkDirectory({});
    expect(directory.endpointOf('edge-a')).toBeUndefined();
    expect(directory.empty).toBe(true);
  });

  it('refuses a template without {edgeId}', () => {
    expect(() => new EdgeLinkDirectory({ template: 'edges.herald.svc:5090' })).toThrow(RangeError);
  });
});
