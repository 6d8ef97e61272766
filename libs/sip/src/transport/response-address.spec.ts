import { defaultSipPort, udpResponseAddress } from './response-address';

const base = {
  sentByHost: '192.0.2.10',
  sentByPort: 5070,
  received: undefined,
  rport: undefined,
  maddr: undefined,
};

describe('udpResponseAddress (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  it('uses received and rport when present', () => {
    expect(udpResponseAddress({ ...base, received: '127.0.0.1', rport: 40000 })).toEqual({
      address: '127.0.0.1',
      port: 40000,
    });
  });

  it('uses received with the sent-by port without rport', () => {
    expect(udpResponseAddress({ ...base, received: '127.0.0.1' })).toEqual({
      address: '127.0.0.1',
      port: 5070,
    });
  });

  it('uses sent-by, defaulting the port to 5060', () => {
    expect(udpResponseAddress({ ...base, sentByPort: undefined })).toEqual({
      address: '192.0.2.10',
      port: 5060,
    });
  });

  it('prefers maddr', () => {
    expect(udpResponseAddress({ ...base, maddr: '127.0.0.2', received: '127.0.0.1', rport: 1 })).toEqual({
      address: '127.0.0.2',
      port: 5070,
    });
  });

  it('knows the default ports', () => {
    expect([
      defaultSipPort('udp'),
      defaultSipPort('tcp'),
      defaultSipPort('tls'),
      defaultSipPort('wss'),
    ]).toEqual([5060, 5060, 5061, 5061]);
  });
});
