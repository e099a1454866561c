// Address helpers for the snapshot loader, under the names its parsers use; the parsing itself is
// src/packet/addr.ts's. IPv4 as u32 host order, IPv6 16 bytes; null on malformed input (callers
// turn that into a HostError naming the place).

import { parseIpv4, parseIpv6 } from '../packet/addr.js';

export { parseIpv4 as parseIPv4, parseIpv6 as parseIPv6, parseMac, ipv4ToString } from '../packet/addr.js';

/** IPv4 network mask for a prefix length, as u32. */
export function ipv4Mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function ipAddrFamily(s: string): 4 | 6 | null {
  if (s.includes(':')) return parseIpv6(s) ? 6 : null;
  return parseIpv4(s) !== null ? 4 : null;
}
