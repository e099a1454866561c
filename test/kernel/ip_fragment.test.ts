// IPv4 reassembly queue (net/ipv4/ip_fragment.c ip_frag_queue, net/ipv4/inet_fragment.c
// inet_frag_queue_insert), cases derived by hand from the kernel source cited per case, on the
// "router" host sample (udp socket 10.2.0.1:53). The fragments are cut from one whole UDP datagram,
// so the reassembled datagram's checksum holds only when every byte lands where it belongs.
import { describe, it, expect } from 'vitest';
import type { Net } from '../../src/kernel/net.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { sample, run, eth, udp4, ipv4, expectFate } from './helpers.js';
import { createNet } from '../../src/kernel/net.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { eth_type_trans, netif_receive_skb } from '../../src/kernel/core/dev.js';

const host = sample('router');
const in0 = (ip: Uint8Array) => eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, ip);

/** a 64-byte UDP datagram (8 header + 56 data, all different) to 10.2.0.1:53, as fragments */
function datagram(): Uint8Array {
  const data = new Uint8Array(56).map((_, i) => i + 1);
  return udp4('10.1.0.2', '10.2.0.1', 1000, 53, data).subarray(20);
}
const whole = datagram();
/** the fragment [from, to) of the UDP datagram, MF unless `last` */
function frag(id: number, from: number, to: number, last = false): Uint8Array {
  return ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id, frag: (last ? 0 : 0x2000) | (from >> 3) }, whole.subarray(from, to));
}
function feed(...frames: Uint8Array[]): FateRecord[] {
  let net: Net | undefined;
  const recs: FateRecord[] = [];
  for (const f of frames) {
    const r = run(host, in0(f), 'eth0', net);
    net = r.net;
    recs.push(r.rec);
  }
  return recs;
}

describe('ip_frag_queue / inet_frag_queue_insert (IPv4)', () => {
  it('a non-last fragment whose length is not a multiple of 8 is cut to it (end &= ~7): the next one at offset 24 completes the datagram', () => {
    // ip_frag_queue: `if (end & 7) end &= ~7` for a fragment with MF; 28 bytes at 0 keep [0,24)
    const recs = feed(frag(21, 0, 28), frag(21, 24, 64, true));
    expectFate(recs[0]).consumed();
    expectFate(recs[1]).delivered('udp 10.2.0.1:53').event('ip_frag_reasm');
  });
  it('fragments out of order, the middle one last, adjacent to runs on both sides: complete', () => {
    // runs [0,8) and [16,24) with the tail [48,64); [8,16) starts at a run's end (offset >=
    // run end: no overlap) and ends at the next one's start (end <= its offset)
    const recs = feed(frag(22, 0, 8), frag(22, 48, 64, true), frag(22, 16, 24), frag(22, 24, 48), frag(22, 8, 16));
    for (const r of recs.slice(0, 4)) expectFate(r).consumed();
    expectFate(recs[4]).delivered('udp 10.2.0.1:53');
  });
  it('a duplicate inside a run before the tail is DUP_FRAG; the queue stays and completes', () => {
    const recs = feed(frag(23, 0, 16), frag(23, 48, 64, true), frag(23, 8, 16), frag(23, 16, 48));
    expectFate(recs[2]).dropped('DUP_FRAG', 'ip_frag_queue').event('ip_frag_queue', /^duplicate fragment \(IPFRAG_DUP\)$/);
    expectFate(recs[3]).delivered('udp 10.2.0.1:53');
  });
  it('a fragment overlapping a run before the tail only in part discards the queue (IPFRAG_OVERLAP)', () => {
    // [8,24) starts inside run [0,16) and ends beyond it, before the tail [48,64)
    const recs = feed(frag(24, 0, 16), frag(24, 48, 64, true), frag(24, 8, 24), frag(24, 16, 48));
    expectFate(recs[2]).dropped('NOT_SPECIFIED', 'ip_frag_queue').event('ip_frag_queue', /^overlapping fragment \(IPFRAG_OVERLAP\): queue discarded$/);
    // the queue is gone: the rest starts a new one, which lacks [0,16)
    expectFate(recs[3]).consumed();
  });
});

describe('inet_frag_queue_insert, more overlaps', () => {
  it('a fragment starting before a run and ending inside it overlaps (not a duplicate): queue discarded', () => {
    // runs [16,24) and the tail [48,64); [8,24): not end <= 16, not offset >= 24, not contained
    const recs = feed(frag(26, 16, 24), frag(26, 48, 64, true), frag(26, 8, 24));
    expectFate(recs[2]).dropped('NOT_SPECIFIED', 'ip_frag_queue').event('ip_frag_queue', /IPFRAG_OVERLAP/);
  });
  it('a fragment past the tail that starts inside it overlaps: queue discarded', () => {
    // tail [0,16) (MF); [8,24) ends after it and starts before its end
    const recs = feed(frag(27, 0, 16), frag(27, 8, 24));
    expectFate(recs[1]).dropped('NOT_SPECIFIED', 'ip_frag_queue').event('ip_frag_queue', /^overlapping fragment \(IPFRAG_OVERLAP\): queue discarded$/);
  });
});

describe('ip_defrag: a fragment cut by the capture snaplen', () => {
  it('cannot be queued (its bytes are missing): reported unsupported, not silently reassembled', () => {
    // the kernel saw the whole fragment; the capture holds only its first 28 IP bytes
    const f = in0(frag(25, 0, 32));
    const net = createNet(host, { checksums: 'verify' });
    const ctx = new FrameCtx();
    ctx.reset(1);
    const dev = host.byName.get('eth0')!;
    const skb = new SkBuff(f, 14 + 28, f.length);
    skb.dev = dev;
    skb.indev = dev;
    eth_type_trans(skb, dev, 0);
    netif_receive_skb(net, skb, ctx);
    const rec = ctx.toRecord();
    expectFate(rec).dropped('NOT_SPECIFIED', 'ip_defrag');
    expect(rec.unsupported).toEqual([expect.stringMatching(/snaplen/)]);
  });
});

describe('__icmp_send without a route back (icmp_route_lookup fails: goto out, nothing sent)', () => {
  it('TTL 1 from a source no route leads back to: IP_INHDR, no time exceeded', () => {
    // eth1 has rp_filter 0, and main has no route to 8.8.4.4
    const f = eth('02:00:00:00:02:01', '02:00:00:00:02:02', 0x0800, udp4('8.8.4.4', '10.1.0.2', 1000, 53, undefined, { ttl: 1 }));
    const { rec } = run(host, f, 'eth1');
    expectFate(rec).dropped('IP_INHDR', 'ip_forward').noReply();
    expect(rec.unsupported ?? []).toEqual([]);
  });
});
