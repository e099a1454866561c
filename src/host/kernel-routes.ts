// The routes the kernel itself creates from interface addresses, used when a snapshot has no
// route file for a family (a snapshot without ip-route.json still has these in the real kernel).
// IPv4: net/ipv4/fib_frontend.c fib_add_ifaddr (+ fib_magic: unicast -> main, others -> local;
// scope host for local, link otherwise; prefsrc = the primary address). IPv6: net/ipv6/addrconf.c
// (local route per usable address, prefix route metric 256, fe80::/64 and ff00::/8 per up device,
// subnet-router anycast when forwarding). Both checked against the recorded router sample and a
// measured namespace (test/host/kernel-routes.test.ts).
import type { IfAddr, NetDevice, Route } from './types.js';
import type { SysctlTable } from './sysctl.js';
import { ipv4Mask, ipv4ToString } from './addr.js';

function v6Text(a: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((a[i]! << 8) | a[i + 1]!);
  // RFC 5952: compress the longest run of >= 2 zero words
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const h = (x: number[]) => x.map((n) => n.toString(16)).join(':');
  return best < 0 ? h(w) : `${h(w.slice(0, best))}::${h(w.slice(best + bestLen))}`;
}

function v6Prefix(a: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    out[i] = a[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

const base = { metric: 0, protocol: 'kernel' } as const;

function ipv4Routes(dev: NetDevice): Route[] {
  const out: Route[] = [];
  const addrs = dev.addrs.filter((a) => a.family === 4);
  // the first address of a subnet is primary; later ones in the same subnet are secondary (inet_insert_ifa)
  const primaries: IfAddr[] = [];
  for (const a of addrs) {
    const mask = ipv4Mask(a.prefixlen);
    const addr = (a.peer as number | undefined) ?? (a.local as number);
    const prefix = (addr & mask) >>> 0;
    // ip -j marks secondaries; without the flag, the first address of a subnet is primary (inet_insert_ifa)
    const prim = primaries.find((p) => p.prefixlen === a.prefixlen && ((((p.peer as number | undefined) ?? (p.local as number)) & mask) >>> 0) === prefix);
    const secondary = a.secondary === true || prim !== undefined;
    if (!secondary) primaries.push(a);
    const src = (prim ?? a).local as number;
    const srcOpt = { prefsrc: src };
    const local = a.local as number;
    out.push({ family: 4, table: 255, type: 'local', dst: local, dstStr: ipv4ToString(local), dstLen: 32, dev: dev.name, scope: 'host', ...srcOpt, ...base });
    if (!dev.up) continue;
    if (a.broadcast && a.broadcast !== 0xffffffff) {
      out.push({ family: 4, table: 255, type: 'broadcast', dst: a.broadcast, dstStr: ipv4ToString(a.broadcast), dstLen: 32, dev: dev.name, scope: 'link', ...srcOpt, ...base });
    }
    if (prefix !== 0 && !secondary && (prefix !== local || a.prefixlen < 32)) {
      if (!a.noprefixroute) {
        const loop = dev.flags.has('LOOPBACK');
        out.push({
          family: 4,
          table: loop ? 255 : 254,
          type: loop ? 'local' : 'unicast',
          dst: prefix,
          dstStr: a.prefixlen === 32 ? ipv4ToString(prefix) : `${ipv4ToString(prefix)}/${a.prefixlen}`,
          dstLen: a.prefixlen,
          dev: dev.name,
          scope: loop ? 'host' : 'link',
          ...srcOpt,
          ...base,
        });
      }
      if (a.prefixlen < 31) {
        const bc = (prefix | ~mask) >>> 0;
        if (!out.some((r) => r.type === 'broadcast' && r.dst === bc)) {
          out.push({ family: 4, table: 255, type: 'broadcast', dst: bc, dstStr: ipv4ToString(bc), dstLen: 32, dev: dev.name, scope: 'link', ...srcOpt, ...base });
        }
      }
    }
  }
  return out;
}

function ipv6Routes(dev: NetDevice, forwarding: boolean): Route[] {
  const out: Route[] = [];
  const r6 = (table: number, type: Route['type'], dst: Uint8Array, len: number, metric: number): Route => ({
    family: 6,
    table,
    type,
    dst,
    dstStr: len === 128 ? v6Text(dst) : `${v6Text(dst)}/${len}`,
    dstLen: len,
    dev: dev.name,
    scope: 'global',
    metric,
    protocol: 'kernel',
  });
  const loop = dev.flags.has('LOOPBACK');
  const seenPrefix = new Set<string>();
  if (dev.up && !loop) {
    out.push(r6(254, 'unicast', v6Prefix(new Uint8Array([0xfe, 0x80, ...new Array(14).fill(0)]), 64), 64, 256));
    seenPrefix.add('fe80::/64');
  }
  for (const a of dev.addrs) {
    if (a.family !== 6) continue;
    const local = a.local as Uint8Array;
    if (!a.tentative && !a.dadfailed) out.push(r6(255, 'local', local, 128, 0));
    if (!dev.up) continue;
    if (!a.noprefixroute && !loop) {
      const p = v6Prefix(local, a.prefixlen);
      const key = `${v6Text(p)}/${a.prefixlen}`;
      if (!seenPrefix.has(key)) {
        seenPrefix.add(key);
        out.push(r6(254, 'unicast', p, a.prefixlen, 256));
      }
    }
    if (forwarding && !a.tentative && !a.dadfailed && a.prefixlen < 127 && !loop) {
      const any = v6Prefix(local, a.prefixlen);
      if (!out.some((r) => r.type === 'anycast' && (r.dst as Uint8Array).every((b, i) => b === any[i]))) out.push(r6(255, 'anycast', any, 128, 0));
    }
  }
  if (dev.up && !loop) out.push(r6(255, 'multicast', new Uint8Array([0xff, ...new Array(15).fill(0)]), 8, 256));
  return out;
}

export function kernelRoutes(devices: NetDevice[], sysctls: SysctlTable, family: 4 | 6): Route[] {
  const out: Route[] = [];
  for (const d of devices) {
    if (family === 4) out.push(...ipv4Routes(d));
    // the subnet-router anycast follows the device's own forwarding (addrconf: idev->cnf.forwarding)
    else if (sysctls.conf(6, d.name, 'disable_ipv6') === 0) out.push(...ipv6Routes(d, sysctls.confValue(6, d.name, 'forwarding') !== 0));
  }
  return out;
}
