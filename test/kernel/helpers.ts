// Test helpers for the L3 kernel path: build frames with the packet builders, run one frame
// through netif_receive_skb on a host (no netfilter rules unless asked), and check the fate.
import { expect } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import type { Host } from '../../src/host/types.js';
import { createNet, type Net } from '../../src/kernel/net.js';
import { FrameCtx, type ReplayOptions } from '../../src/kernel/ctx.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { eth_type_trans, netif_receive_skb } from '../../src/kernel/core/dev.js';
import { parseIpv4, parseMac, parseIpv6 } from '../../src/packet/addr.js';
import { writeEthHdr, writeIpv4Hdr, writeUdpHdr, writeTcpHdr, writeIcmpHdr, fillL4ChecksumV4, fillIcmpChecksum, writeIpv6Hdr, fillL4ChecksumV6 } from '../../src/packet/build.js';
import { Decoded, decodeFrame, LT_EN10MB, LT_RAW } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';

export const SAMPLES = new URL('../../fixtures/host-samples/', import.meta.url).pathname;
export function sample(name: string): Host {
  return loadHost(SAMPLES + name);
}

const ip = (s: string): number => parseIpv4(s)!;
const mac = (s: string): Uint8Array => parseMac(s)!;

export function eth(dst: string, src: string, type: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(14 + payload.length);
  writeEthHdr(b, 0, mac(dst), 0, mac(src), 0, type);
  b.set(payload, 14);
  return b;
}

export interface V4 { src: string; dst: string; proto: number; ttl?: number; df?: boolean; tos?: number; id?: number; frag?: number }

export function ipv4(h: V4, l4: Uint8Array, fill?: (b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(20 + l4.length);
  b.set(l4, 20);
  const frag = (h.frag ?? 0) | (h.df === false ? 0 : 0x4000);
  writeIpv4Hdr(b, 0, h.tos ?? 0, b.length, h.id ?? 1, frag, h.ttl ?? 64, h.proto, ip(h.src), ip(h.dst));
  fill?.(b);
  return b;
}

export function udp4(src: string, dst: string, sport: number, dport: number, data = new Uint8Array(4), h: Partial<V4> = {}): Uint8Array {
  const l4 = new Uint8Array(8 + data.length);
  writeUdpHdr(l4, 0, sport, dport, l4.length);
  l4.set(data, 8);
  return ipv4({ src, dst, proto: 17, ...h }, l4, (b) => fillL4ChecksumV4(b, 20, l4.length, 17, ip(src), ip(dst)));
}

export function tcp4(src: string, dst: string, sport: number, dport: number, flags: number, seq = 1000, ack = 0, data = new Uint8Array(0), h: Partial<V4> = {}): Uint8Array {
  const l4 = new Uint8Array(20 + data.length);
  writeTcpHdr(l4, 0, sport, dport, seq, ack, flags, 64240);
  l4.set(data, 20);
  return ipv4({ src, dst, proto: 6, ...h }, l4, (b) => fillL4ChecksumV4(b, 20, l4.length, 6, ip(src), ip(dst)));
}

export function echo4(src: string, dst: string, seq = 1, h: Partial<V4> = {}): Uint8Array {
  const l4 = new Uint8Array(8 + 10);
  writeIcmpHdr(l4, 0, 8, 0, (0x1234 << 16) | seq);
  return ipv4({ src, dst, proto: 1, ...h }, l4, (b) => fillIcmpChecksum(b, 20, l4.length));
}

export function udp6(src: string, dst: string, sport: number, dport: number, hlim = 64): Uint8Array {
  const b = new Uint8Array(40 + 8 + 4);
  writeIpv6Hdr(b, 0, 0, 0, 12, 17, hlim, parseIpv6(src)!, 0, parseIpv6(dst)!, 0);
  writeUdpHdr(b, 40, sport, dport, 12);
  fillL4ChecksumV6(b, 0, 40, 12, 17);
  return b;
}

const dec = new Decoded();
/** tcpdump-style summary of an Ethernet frame, or of a bare IP packet (`raw`: net.summarizeSkb's IP form) */
export function summaryOf(frame: Uint8Array, raw = false): string {
  decodeFrame(frame, frame.length, raw ? LT_RAW : LT_EN10MB, dec, frame.length);
  return summarize(dec, null, { absoluteSeq: true });
}

/** one frame in through `iface`; returns the record and the namespace (state carries over when `net` is passed) */
export function run(host: Host, frame: Uint8Array, iface: string, net?: Net, opts: Partial<ReplayOptions> = {}): { rec: FateRecord; net: Net } {
  const n = net ?? createNet(host, { checksums: 'verify', ...opts });
  n.summarize = (b, len, raw) => summaryOf(b.subarray(0, len), raw);
  const ctx = new FrameCtx();
  ctx.reset(1);
  const dev = host.byName.get(iface)!;
  const skb = new SkBuff(frame, frame.length);
  skb.dev = dev;
  skb.indev = dev;
  eth_type_trans(skb, dev, 0);
  netif_receive_skb(n, skb, ctx);
  return { rec: ctx.toRecord(), net: n };
}

/** expectFate(rec).dropped('NO_SOCKET') ... small composable checks on a FateRecord */
export function expectFate(rec: FateRecord) {
  const api = {
    dropped(reason: string, fn?: string) {
      expect(rec.fate, JSON.stringify(rec.events)).toBe('dropped');
      expect(rec.reason).toBe(reason);
      if (fn) expect(rec.events.some((e) => e.fn === fn && e.what.startsWith('drop'))).toBe(true);
      return api;
    },
    delivered(socket: string) {
      expect(rec.fate, JSON.stringify(rec.events)).toBe('delivered');
      expect(rec.socket).toBe(socket);
      return api;
    },
    forwarded(...egress: string[]) {
      expect(rec.fate, JSON.stringify(rec.events)).toBe('forwarded');
      expect(rec.egress).toEqual(egress);
      return api;
    },
    /** a frame the host itself sent, captured leaving by `egress` */
    sent(...egress: string[]) {
      expect(rec.fate, JSON.stringify(rec.events)).toBe('sent');
      expect(rec.egress).toEqual(egress);
      return api;
    },
    consumed() {
      expect(rec.fate, JSON.stringify(rec.events)).toBe('consumed');
      return api;
    },
    reply(iface: string, summary: string | RegExp) {
      const r = rec.replies ?? [];
      expect(r.some((x) => x.iface === iface && (typeof summary === 'string' ? x.summary === summary : summary.test(x.summary))), JSON.stringify(r)).toBe(true);
      return api;
    },
    noReply() {
      expect(rec.replies ?? []).toEqual([]);
      return api;
    },
    event(fn: string, what?: RegExp) {
      expect(rec.events.some((e) => e.fn === fn && (!what || what.test(e.what))), JSON.stringify(rec.events)).toBe(true);
      return api;
    },
  };
  return api;
}
