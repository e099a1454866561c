// ip_finish_output / ip_fragment on the router sample (eth0 10.1.0.1/24 mtu 1500, eth1
// 10.2.0.1/24 mtu 1400). Expected values derived from net/ipv4/ip_output.c: __ip_finish_output
// fragments when skb->len > mtu or IPCB frag_max_size is set; ip_do_fragment lowers mtu to
// frag_max_size when smaller; ip_frag_next (slow path, for a packet the kernel built) sends
// (mtu - hlen) & ~7 data bytes per fragment, the last one the rest, each with the header copied,
// frag_off = offset >> 3 with IP_MF on all but the last, tot_len = len + hlen and a new checksum.
import { describe, it, expect } from 'vitest';
import { createNet, type Net } from '../../src/kernel/net.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { eth_type_trans, netif_receive_skb } from '../../src/kernel/core/dev.js';
import type { NfHooks } from '../../src/kernel/netfilter/index.js';
import { writeIcmpHdr, fillIcmpChecksum } from '../../src/packet/build.js';
import { sample, eth, ipv4 } from './helpers.js';

const host = sample('router');

/** frames in on eth0; returns each record and every frame the host sent (bytes) */
function feed(net: Net, ...ips: Uint8Array[]) {
  const sent: Uint8Array[] = [];
  net.summarize = (b, len) => (sent.push(b.slice(0, len)), 'x');
  const recs = ips.map((ip) => {
    const ctx = new FrameCtx();
    ctx.reset(1);
    const dev = host.byName.get('eth0')!;
    const f = eth(dev.macStr!, '02:00:00:00:01:02', 0x0800, ip);
    const skb = new SkBuff(f, f.length);
    skb.dev = dev;
    skb.indev = dev;
    eth_type_trans(skb, dev, 0);
    netif_receive_skb(net, skb, ctx);
    return ctx.toRecord();
  });
  return { recs, sent };
}

const sum16 = (b: Uint8Array, o: number, n: number): number => {
  let s = 0;
  for (let i = o; i < o + n; i += 2) s += (b[i] << 8) | b[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
};

describe('a reply over the MTU leaves as fragments (ip_do_fragment slow path)', () => {
  it('a 3008-byte echo reply on eth0 (mtu 1500): 1480 + 1480 + 28 data bytes, offsets 0/185/370, MF on the first two', () => {
    // the request: ICMP echo of 2988 bytes (8 + 2980 data), sent as three fragments
    const icmp = new Uint8Array(2988);
    writeIcmpHdr(icmp, 0, 8, 0, (0x4242 << 16) | 7);
    for (let i = 8; i < icmp.length; i++) icmp[i] = (i * 7) & 0xff;
    fillIcmpChecksum(icmp, 0, icmp.length);
    const part = (from: number, to: number, last: boolean) => ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 1, df: false, id: 99, frag: (last ? 0 : 0x2000) | (from >> 3) }, icmp.subarray(from, to));
    const net = createNet(host, { checksums: 'verify' });
    const { recs, sent } = feed(net, part(0, 1480, false), part(1480, 2960, false), part(2960, 2988, true));
    expect(recs[2].fate).toBe('consumed');
    expect(sent).toHaveLength(3);
    const ip = sent.map((f) => f.subarray(14));
    expect(ip.map((p) => (p[2] << 8) | p[3])).toEqual([1500, 1500, 48]);
    expect(ip.map((p) => (p[6] << 8) | p[7])).toEqual([0x2000, 0x2000 | 185, 370]);
    // one datagram: the same id in each; every header checksum holds
    expect(new Set(ip.map((p) => (p[4] << 8) | p[5])).size).toBe(1);
    for (const p of ip) expect(sum16(p, 0, 20)).toBe(0xffff);
    for (const p of ip) expect(p.length).toBe((p[2] << 8) | p[3]);
    // the pieces put together are the echo reply: type 0, the request's id, seq and data
    const whole = new Uint8Array(2988);
    let off = 0;
    for (const p of ip) {
      whole.set(p.subarray(20), off);
      off += p.length - 20;
    }
    expect(off).toBe(2988);
    expect(whole[0]).toBe(0);
    expect([...whole.subarray(4)]).toEqual([...icmp.subarray(4)]);
    expect(sum16(whole, 0, whole.length)).toBe(0xffff);
  });
});

describe('a datagram conntrack reassembled is cut again to its largest fragment (IPCB frag_max_size)', () => {
  // UDP 10.1.0.2 -> 198.51.100.7 (forwarded by eth1, mtu 1400), 40 bytes of UDP
  const l4 = new Uint8Array(40);
  l4.set([0x9c, 0x40, 0, 53, 0, 40, 0, 0]);
  const frag = (id: number, from: number, to: number, last: boolean) => ipv4({ src: '10.1.0.2', dst: '198.51.100.7', proto: 17, id, df: false, frag: (last ? 0 : 0x2000) | (from >> 3) }, l4.subarray(from, to));
  const ctNet = (): Net => {
    const n = createNet(host, { checksums: 'trust' });
    n.nf = { nf_hook: () => ({ verdict: 'accept', verdicts: [] }), active: () => false, defrag: () => true } as NfHooks;
    return n;
  };
  it('fragments of 16, 16 and 8 bytes: frag_max_size 36, so (36 - 20) & ~7 = 16 bytes a piece, three fragments leave', () => {
    const { recs } = feed(ctNet(), frag(5, 0, 16, false), frag(5, 16, 32, false), frag(5, 32, 40, true));
    expect(recs[2].fate).toBe('forwarded');
    expect(recs[2].egress).toEqual(['eth1', 'eth1', 'eth1']);
  });
  it('fragments of 32 and 8 bytes: frag_max_size 52, pieces of 32: two fragments', () => {
    const { recs } = feed(ctNet(), frag(6, 0, 32, false), frag(6, 32, 40, true));
    expect(recs[1].egress).toEqual(['eth1', 'eth1']);
  });
});
