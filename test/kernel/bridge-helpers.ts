// Small builders for the L2 tests: frames from text, an skb on a device as eth_type_trans leaves it.
import { loadHost } from '../../src/host/load.js';
import type { Host, NetDevice } from '../../src/host/types.js';
import { createNet, type Net } from '../../src/kernel/net.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';

const LT_EN10MB = 1;
import { SkBuff, PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST } from '../../src/kernel/skbuff.js';

export function mac(s: string): Uint8Array {
  return new Uint8Array(s.split(':').map((h) => parseInt(h, 16)));
}
export function ip4(s: string): number {
  return s.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
}
export function ip6(s: string): Uint8Array {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); b[2 * i] = v >> 8; b[2 * i + 1] = v & 255; });
  return b;
}

export function eth(dst: string, src: string, type: number, payload: Uint8Array | number[] = []): Uint8Array {
  const p = payload instanceof Uint8Array ? payload : new Uint8Array(payload);
  const f = new Uint8Array(14 + p.length);
  f.set(mac(dst), 0); f.set(mac(src), 6);
  f[12] = type >> 8; f[13] = type & 255;
  f.set(p, 14);
  return f;
}

export function arpBody(op: number, sha: string, spa: string, tha: string, tpa: string): Uint8Array {
  const b = new Uint8Array(28);
  b.set([0, 1, 8, 0, 6, 4, 0, op]);
  b.set(mac(sha), 8);
  const s = ip4(spa), t = ip4(tpa);
  b.set([s >>> 24, (s >>> 16) & 255, (s >>> 8) & 255, s & 255], 14);
  b.set(mac(tha), 18);
  b.set([t >>> 24, (t >>> 16) & 255, (t >>> 8) & 255, t & 255], 24);
  return b;
}

/** IPv6 + ICMPv6 ND message with a correct checksum */
export function nd(src: string, dst: string, type: number, body: number[], hop = 255, code = 0): Uint8Array {
  const icmp = new Uint8Array(4 + body.length);
  icmp[0] = type; icmp[1] = code; icmp.set(body, 4);
  const p = new Uint8Array(40 + icmp.length);
  p[0] = 0x60; p[4] = icmp.length >> 8; p[5] = icmp.length & 255; p[6] = 58; p[7] = hop;
  p.set(ip6(src), 8); p.set(ip6(dst), 24); p.set(icmp, 40);
  let sum = 0;
  const add = (b: Uint8Array, o: number, n: number) => { for (let i = 0; i < n; i += 2) sum += (b[o + i] << 8) | (b[o + i + 1] ?? 0); };
  add(p, 8, 32); sum += icmp.length; sum += 58; add(p, 40, icmp.length);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  p[42] = c >> 8; p[43] = c & 255;
  return p;
}

/** an skb on dev as the driver's eth_type_trans leaves it */
export function skbOn(frame: Uint8Array, dev: NetDevice, sec = 1000): SkBuff {
  const skb = new SkBuff(frame, frame.length);
  skb.dev = dev; skb.indev = dev;
  skb.mac_header = 0; skb.network_header = 14;
  skb.protocol = (frame[12] << 8) | frame[13];
  if (frame[0] & 1) skb.pkt_type = frame.subarray(0, 6).every((b) => b === 255) ? PACKET_BROADCAST : PACKET_MULTICAST;
  else skb.pkt_type = dev.mac && frame.subarray(0, 6).every((b, i) => b === dev.mac![i]) ? PACKET_HOST : PACKET_OTHERHOST;
  skb.tstampSec = sec;
  return skb;
}

export function sample(name: string): Host {
  return loadHost(new URL(`../../fixtures/host-samples/${name}`, import.meta.url).pathname);
}

/** a Net as the replay builds it, with the project's tcpdump-style summaries for replies */
export function netFor(host: Host): Net {
  const net = createNet(host, { checksums: 'trust' });
  const dec = new Decoded();
  net.summarize = (bytes, len) => {
    decodeFrame(bytes, len, LT_EN10MB, dec, len);
    return summarize(dec, null, { absoluteSeq: true });
  };
  return net;
}

export function at(net: Net, sec: number): void {
  net.nowSec = sec;
  net.nowNsec = 0;
}

export function newCtx(frame = 1): FrameCtx {
  const c = new FrameCtx();
  c.reset(frame);
  return c;
}
