import { sourceKeyOf } from './source-address';

describe('sourceKeyOf', () => {
  it('counts an IPv4 address as itself', () => {
    expect(sourceKeyOf('127.0.0.2')).toBe('127.0.0.2');
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(sourceKeyOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts an IPv6 address by its /64', () => {
    expect(sourceKeyOf('2001:db8:0:12::1')).toBe('2001:db8:0:12::/64');
    expect(sourceKeyOf('2001:0db8:0000:0012:ffff:1:2:3')).toBe('2001:db8:0:12::/64');
    expect(sourceKeyOf('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(sourceKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(sourceKeyOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('puts every address of one /64 on one key and the next /64 on another', () => {
    expect(sourceKeyOf('2001:db8:1:2:aaaa::1')).toBe(sourceKeyOf('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(sourceKeyOf('2001:db8:1:3::1')).not.toBe(sourceKeyOf('2001:db8:1:2::1'));
  });
});
