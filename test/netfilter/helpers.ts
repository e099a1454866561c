// Small builders for netfilter tests: a host with a few devices, frames with correct checksums,
// and a runner that calls nf_hook the way the kernel path does.
import type { Host, NetDevice, IfAddr } from '../../src/host/types.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { writeEthHdr, writeIpv4Hdr, writeIpv6Hdr, writeTcpHdr, writeUdpHdr, writeIcmpHdr, fillL4ChecksumV4, fillL4ChecksumV6, fillIcmpChecksum } from '../../src/packet/build.js';
import { createNfHooks, loadRuleset } from '../../src/kernel/netfilter/index.js';
import type { NfHooks, NfHookState, NfKernelOps } from '../../src/kernel/netfilter/hook.js';
import type { TimelineEvent } from '../../src/kernel/fate.js';
import { parseIPv4, parseIPv6 } from '../../src/kernel/netfilter/ir.js';

export function dev(ifindex: number, name: string, addrs: string[] = [], kind = 'veth'): NetDevice {
  const a: IfAddr[] = addrs.map((s) => {
    const [ip, len] = s.split('/');
    if (ip!.includes(':')) {
      const b = parseIPv6(ip!)!;
      return { family: 6, local: Uint8Array.from(b, (c) => c.charCodeAt(0)), localStr: ip!, prefixlen: Number(len ?? 128), scope: 'global' } as IfAddr;
    }
    return { family: 4, local: parseIPv4(ip!)!, localStr: ip!, prefixlen: Number(len ?? 32), scope: 'global' } as IfAddr;
  });
  return { ifindex, name, kind, mtu: 1500, mac: new Uint8Array([2, 0, 0, 0, 0, ifindex]), macStr: null, up: true, flags: new Set(['UP']), operstate: 'UP', master: null, gro: true, addrs: a };
}

export function host(files: { nft?: string; iptables?: string; ip6tables?: string; ipset?: string; nfacct?: string; sysctl?: Record<string, string> }, devices: NetDevice[] = [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.0.1/24']), dev(3, 'eth1', ['192.0.2.1/24'])]): Host {
  const raw = new Map(Object.entries(files.sysctl ?? {}));
  const h = {
    dir: '(test)', devices, byName: new Map(devices.map((d) => [d.name, d])), byIndex: new Map(devices.map((d) => [d.ifindex, d])),
    routes: [], rules: [], neigh: [], fdb: [], bridgeVlans: new Map(), sockets: [],
    sysctls: { raw, get: (k: string) => raw.get(k) ?? '', getInt: (k: string) => Number(raw.get(k) ?? 0), conf: () => 0 },
  } as unknown as Host;
  if (files.nft !== undefined) h.nftText = { path: 'nft.txt', text: files.nft };
  if (files.iptables !== undefined) h.iptables = { path: 'iptables.rules', text: files.iptables };
  if (files.ip6tables !== undefined) h.ip6tables = { path: 'ip6tables.rules', text: files.ip6tables };
  if (files.ipset !== undefined) h.ipset = { path: 'ipset.txt', text: files.ipset };
  if (files.nfacct !== undefined) h.nfacct = { path: 'nfacct.txt', text: files.nfacct };
  return h;
}

export interface Sent { how: string; frame: number }
export function hooks(h: Host, sent: Sent[] = []): NfHooks {
  const ops: NfKernelOps = { sendReject: (skb, _st, how) => sent.push({ how: how.type === 'tcp-reset' ? 'tcp-reset' : `${how.type} ${how.icmpType}/${how.code}`, frame: skb.frameNo }) };
  return createNfHooks(h, ops, loadRuleset(h));
}

const MAC = new Uint8Array([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
let ts = 1_700_000_000;

export interface Pk { src: string; dst: string; proto: 'tcp' | 'udp' | 'icmp'; sport?: number; dport?: number; flags?: string; seq?: number; ack?: number; win?: number; type?: number; code?: number; id?: number; payload?: number; t?: number; badCsum?: boolean; inner?: Uint8Array }

const FL: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32 };

/** an Ethernet+IPv4 frame as an skb at the network layer (mac_header 0, network_header 14) */
export function skb4(p: Pk): SkBuff {
  const pay = p.inner ? p.inner.length : p.payload ?? 0;
  const l4 = p.proto === 'tcp' ? 20 : 8;
  const len = 14 + 20 + l4 + pay;
  const b = new Uint8Array(len);
  writeEthHdr(b, 0, MAC, 0, MAC, 6, 0x0800);
  const proto = p.proto === 'tcp' ? 6 : p.proto === 'udp' ? 17 : 1;
  const s = parseIPv4(p.src)!, d = parseIPv4(p.dst)!;
  writeIpv4Hdr(b, 14, 0, 20 + l4 + pay, 1, 0x4000, 64, proto, s, d);
  if (p.inner) b.set(p.inner, 14 + 20 + l4);
  if (p.proto === 'tcp') {
    let f = 0;
    for (const c of p.flags ?? 'S') f |= FL[c] ?? 0;
    writeTcpHdr(b, 34, p.sport ?? 40000, p.dport ?? 80, p.seq ?? 1000, p.ack ?? 0, f, p.win ?? 64240);
    fillL4ChecksumV4(b, 34, 20 + pay, 6, s, d);
  } else if (p.proto === 'udp') {
    writeUdpHdr(b, 34, p.sport ?? 40000, p.dport ?? 53, 8 + pay);
    fillL4ChecksumV4(b, 34, 8 + pay, 17, s, d);
  } else {
    writeIcmpHdr(b, 34, p.type ?? 8, p.code ?? 0, ((p.id ?? 1) << 16) | 1);
    fillIcmpChecksum(b, 34, 8 + pay);
  }
  if (p.badCsum) b[len - 1] ^= 0xff, b[34 + (p.proto === 'tcp' ? 16 : p.proto === 'udp' ? 6 : 2)] ^= 0x55;
  const skb = new SkBuff(b, len);
  skb.mac_header = 0;
  skb.network_header = 14;
  skb.transport_header = 34;
  skb.protocol = 0x0800;
  ts = p.t ?? ts + 1;
  skb.tstampSec = ts;
  return skb;
}

export function run(nf: NfHooks, pf: number, hook: number, skb: SkBuff, h: Host, inDev?: string, outDev?: string) {
  const events: TimelineEvent[] = [];
  const st: NfHookState = { pf, hook, in: inDev ? h.byName.get(inDev)! : null, out: outDev ? h.byName.get(outDev)! : null };
  const r = nf.nf_hook(st, skb, events);
  return { ...r, events };
}

/** an Ethernet+IPv6 UDP or TCP frame as an skb at the network layer */
export function skb6(p: { src: string; dst: string; proto: 'udp' | 'tcp'; sport: number; dport: number; flags?: string; seq?: number; ack?: number; inner?: Uint8Array; t?: number }): SkBuff {
  const pay = p.inner?.length ?? 0;
  const l4 = (p.proto === 'tcp' ? 20 : 8) + pay;
  const len = 14 + 40 + l4;
  const b = new Uint8Array(len);
  writeEthHdr(b, 0, MAC, 0, MAC, 6, 0x86dd);
  const s = Uint8Array.from(parseIPv6(p.src)!, (c) => c.charCodeAt(0)), d = Uint8Array.from(parseIPv6(p.dst)!, (c) => c.charCodeAt(0));
  writeIpv6Hdr(b, 14, 0, 0, l4, p.proto === 'tcp' ? 6 : 17, 64, s, 0, d, 0);
  if (p.proto === 'tcp') {
    let f = 0;
    for (const c of p.flags ?? 'S') f |= FL[c] ?? 0;
    writeTcpHdr(b, 54, p.sport, p.dport, p.seq ?? 1000, p.ack ?? 0, f, 64240);
    if (p.inner) b.set(p.inner, 74);
  } else {
    writeUdpHdr(b, 54, p.sport, p.dport, l4);
    if (p.inner) b.set(p.inner, 62);
  }
  fillL4ChecksumV6(b, 14, 54, l4, p.proto === 'tcp' ? 6 : 17);
  const skb = new SkBuff(b, len);
  skb.mac_header = 0;
  skb.network_header = 14;
  skb.transport_header = 54;
  skb.protocol = 0x86dd;
  ts = p.t ?? ts + 1;
  skb.tstampSec = ts;
  return skb;
}
