import { parseMessage, SipRequest } from '../message';
import { Flow } from './flow';
import { stampReceived, udpResponseTarget } from './received';

function flowFrom(address: string, port: number): Flow {
  return {
    id: `udp:5060:${address}:${port}`,
    protocol: 'udp',
    reliable: false,
    local: { address: '127.0.0.1', port: 5060 },
    remote: { address, port },
    isOpen: () => true,
    send: () => Promise.resolve(),
  };
}

function requestWithVia(...vias: string[]): SipRequest {
  return new SipRequest({
    method: 'OPTIONS',
    uri: 'sip:h',
    headers: vias.map((via) => ['Via', via] as const),
  });
}

describe('stampReceived (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  it('leaves Via alone when sent-by is the source and no rport is asked', () => {
    const request = requestWithVia('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1');
    stampReceived(request, flowFrom('127.0.0.1', 5070));
    expect(request.headers.getAll('via')).toEqual(['SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1']);
    expect(udpResponseTarget(request)).toEqual({ address: '127.0.0.1', port: 5070 });
  });

  it('adds received for a name or another address, keeping the other Via values as written', () => {
    const request = requestWithVia(
      'SIP/2.0/UDP client.example:5070;branch=z9hG4bK-1 , SIP/2.0/UDP proxy.example;branch=z9hG4bK-0',
      'SIP/2.0/TCP edge.example;branch=z9hG4bK-x',
    );
    stampReceived(request, flowFrom('127.0.0.1', 40000));
    expect(request.headers.getAll('via')).toEqual([
      'SIP/2.0/UDP client.example:5070;branch=z9hG4bK-1;received=127.0.0.1, SIP/2.0/UDP proxy.example;branch=z9hG4bK-0',
      'SIP/2.0/TCP edge.example;branch=z9hG4bK-x',
    ]);
    expect(udpResponseTarget(request)).toEqual({ address: '127.0.0.1', port: 5070 });
  });

  it('fills rport and received when asked, and answers there', () => {
    const request = requestWithVia('SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bK-1');
    stampReceived(request, flowFrom('127.0.0.1', 40000));
    expect(request.topVia).toMatchObject({ rport: 40000, received: '127.0.0.1', branch: 'z9hG4bK-1' });
    expect(udpResponseTarget(request)).toEqual({ address: '127.0.0.1', port: 40000 });
  });

  it('stamps the top Via in its place; the other headers keep their parsed values', () => {
    const request = new SipRequest({
      method: 'OPTIONS',
      uri: 'sip:h',
      headers: [
        ['From', '<sip:alice@h>;tag=a1'],
        ['Via', 'SIP/2.0/UDP client.example;rport;branch=z9hG4bK-1'],
        ['Via', 'SIP/2.0/UDP proxy.example;branch=z9hG4bK-0'],
      ],
    });
    const from = request.from;
    expect(request.topVia?.received).toBeUndefined();
    stampReceived(request, flowFrom('127.0.0.1', 40000));
    expect([...request.headers].map(({ name }) => name)).toEqual(['From', 'Via', 'Via']);
    expect(request.via.map(({ host, received }) => [host, received])).toEqual([
      ['client.example', '127.0.0.1'],
      ['proxy.example', undefined],
    ]);
    expect(request.from).toBe(from);
  });

  it('stamps a parsed request (its Via read by the parser) as one built from the same text', () => {
    const vias = [
      'SIP/2.0/UDP client.example:5070;rport;branch=z9hG4bK-1',
      'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;x=1',
      'SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-1, SIP/2.0/UDP proxy.example;branch=z9hG4bK-0',
    ];
    for (const via of vias) {
      const text =
        `OPTIONS sip:h SIP/2.0\r\nVia: ${via}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:h>\r\n` +
        'Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
      const parsed = parseMessage(text) as SipRequest;
      const built = requestWithVia(via);
      stampReceived(parsed, flowFrom('127.0.0.1', 40000));
      stampReceived(built, flowFrom('127.0.0.1', 40000));
      expect(parsed.headers.getAll('via')).toEqual(built.headers.getAll('via'));
      expect(parsed.via).toEqual(built.via);
      expect(udpResponseTarget(parsed)).toEqual(udpResponseTarget(built));
    }
  });

  it('handles IPv6 sent-by', () => {
    const request = requestWithVia('SIP/2.0/UDP [::1]:5070;branch=z9hG4bK-1');
    stampReceived(request, flowFrom('::1', 5070));
    expect(request.headers.getAll('via')).toEqual(['SIP/2.0/UDP [::1]:5070;branch=z9hG4bK-1']);
    expect(udpResponseTarget(request)).toEqual({ address: '::1', port: 5070 });
  });

  it.each([
    ['SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bK-1', '127.0.0.1', 40000],
    ['SIP/2.0/UDP client.example;branch=z9hG4bK-1;received=10.0.0.9;x=y', '127.0.0.1', 5060],
    ['SIP/2.0/UDP [::1]:5070;branch=z9hG4bK-1;rport', '::2', 40001],
    ['SIP/2.0/UDP 127.0.0.1:5070;rport=5070;branch=z9hG4bK-1 ', '127.0.0.2', 5070],
  ])('keeps the stamped Via of %s from %s:%d parsed as it reads back', (via, address, port) => {
    const request = requestWithVia(via);
    stampReceived(request, flowFrom(address, port));
    const readBack = requestWithVia(...request.headers.getAll('via'));
    expect(request.via).toEqual(readBack.via);
  });
});
