import { describe, it, expect } from 'vitest';
import { ipv4ToString, parseIpv4, ipv6ToString, parseIpv6, macToString, parseMac } from '../../src/packet/addr.js';

describe('addresses', () => {
  it('formats and parses IPv4', () => {
    expect(ipv4ToString(0x0a000001)).toBe('10.0.0.1');
    expect(ipv4ToString(0xffffffff)).toBe('255.255.255.255');
    expect(parseIpv4('192.168.1.254')).toBe(0xc0a801fe);
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '', 'a.b.c.d', '1.2.3.4 ', '1234.1.1.1']) expect(parseIpv4(bad)).toBeNull();
  });
  // RFC 5952 section 4 examples
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // 4.2.2: a single 0 group is not shortened
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // 4.2.3: longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // 4.2.3: first of equal runs
    ['2001:DB8::AbCd', '2001:db8::abcd'], // 4.3: lower case
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['fe80::1', 'fe80::1'],
    ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // section 5 mixed notation
  ];
  for (const [inp, out] of cases) it(`formats ${inp} as ${out}`, () => {
    const b = parseIpv6(inp);
    expect(b).not.toBeNull();
    expect(ipv6ToString(b!, 0)).toBe(out);
  });
  it('rejects malformed IPv6', () => {
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ':1:2']) expect(parseIpv6(bad)).toBeNull();
  });
  it('formats and parses MACs', () => {
    const m = parseMac('02:00:0A:0b:0c:ff')!;
    expect(macToString(m, 0)).toBe('02:00:0a:0b:0c:ff');
    expect(parseMac('02:00:0a:0b:0c')).toBeNull();
  });
});
