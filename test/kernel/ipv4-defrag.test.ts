// IPv4 reassembly below the replay: the queue (net/ipv4/ip_fragment.c ip_frag_queue,
// net/ipv4/inet_fragment.c inet_frag_find / inet_frag_queue_insert / inet_frag_reasm_finish) and
// ip_defrag's key and rebuilt header. Expected values are derived by hand from those functions
// (cited per case) or recorded on 6.18 (ipfrag_high_thresh, below).
import { describe, it, expect } from 'vitest';
import type { Host } from '../../src/host/types.js';
import { IpFragQueues, type FragResult } from '../../src/kernel/ipv4/ip_fragment.js';
import { ip_defrag, type IpDefragUser } from '../../src/kernel/ipv4/ip_defrag.js';
import { createNet, type Net } from '../../src/kernel/net.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { sample, eth, ipv4, udp4, expectFate } from './helpers.js';
import { ipSendCheck } from '../../src/packet/build.js';

/** a host whose only sysctls are the two the queues read */
function queues(time = 30, high = 4194304): IpFragQueues {
  const vals: Record<string, number> = { 'net.ipv4.ipfrag_time': time, 'net.ipv4.ipfrag_high_thresh': high };
  return new IpFragQueues({ sysctls: { getInt: (k: string) => vals[k]! } } as unknown as Host);
}
const bytes = (from: number, to: number): Uint8Array => new Uint8Array(to - from).map((_, i) => (from + i + 1) & 0xff);
/** fragment [from, to) of a datagram whose byte i is i + 1 */
const put = (q: IpFragQueues, from: number, to: number, mf: boolean, t = 0, key = 'k'): FragResult => q.queue(key, t, from, mf, bytes(from, to), from === 0 ? new Uint8Array([0x45]) : null, 1);
const drop = (r: FragResult) => (r.kind === 'drop' ? { reason: r.reason, why: r.why } : r.kind);

describe('inet_frag_find: ipfrag_high_thresh (recorded on 6.18)', () => {
  // netns, local delivery of a 40-byte UDP datagram in two fragments (24 + 16 bytes) to a bound
  // socket, ipfrag_low_thresh 0: with ipfrag_high_thresh 4194304 the datagram is received
  // (IpReasmOKs 1); with 1 the first fragment is queued and the second refused (IpReasmFails 1,
  // nothing received); with 0 both are refused (IpReasmFails 2). skb:kfree_skb shows each refused
  // fragment freed at ip_defrag with reason NOT_SPECIFIED (ip_find gave no queue: kfree_skb).
  it('thresh 1: the first fragment is queued, the second of the same datagram refused', () => {
    const q = queues(30, 1);
    expect(put(q, 0, 24, true).kind).toBe('queued');
    expect(put(q, 24, 40, false)).toMatchObject({ kind: 'drop', reason: 'NOT_SPECIFIED', refused: true });
  });
  it('thresh 0: every fragment is refused', () => {
    const q = queues(30, 0);
    expect(put(q, 0, 24, true)).toMatchObject({ kind: 'drop', reason: 'NOT_SPECIFIED', refused: true });
    expect(q.size).toBe(0);
  });
  it('a queue that expired (ipfrag_time) before the frame has freed its memory: the new fragment is queued', () => {
    const q = queues(30, 1);
    expect(put(q, 0, 24, true, 0, 'a').kind).toBe('queued');
    // 20 s later the queue is still alive: refused
    expect(drop(put(q, 0, 24, true, 20_000, 'b'))).toMatchObject({ reason: 'NOT_SPECIFIED' });
    // 31 s after it was created ip_expire has run
    expect(put(q, 0, 24, true, 31_000, 'b').kind).toBe('queued');
    expect(q.size).toBe(1);
  });
  it('a fragment arriving after ipfrag_time finds its queue expired (ip_expire ran): it starts a new one, nothing completes', () => {
    const q = queues(30);
    expect(put(q, 0, 24, true, 0).kind).toBe('queued');
    // 30.5 s later: the 30 s timer has fired, the first fragment is gone with its queue
    expect(put(q, 24, 40, false, 30_500).kind).toBe('queued');
    expect(q.size).toBe(1);
    expect(q.memory).toBe(16);
    // within ipfrag_time the same two fragments complete
    const q2 = queues(30);
    put(q2, 0, 24, true, 0);
    expect(put(q2, 24, 40, false, 29_500).kind).toBe('complete');
  });
  it('the age of a queue is the time since it was created: 5 s after a queue made at 20 s it is alive (refused under thresh 1, completed without)', () => {
    const q = queues(30, 1);
    put(q, 0, 24, true, 20_000, 'a');
    expect(drop(put(q, 0, 24, true, 25_000, 'b'))).toMatchObject({ reason: 'NOT_SPECIFIED' });
    const q2 = queues(30);
    put(q2, 0, 24, true, 20_000);
    expect(put(q2, 24, 40, false, 25_000).kind).toBe('complete');
  });
  it('through ip_defrag: the refused fragment is dropped by ip_defrag itself, NOT_SPECIFIED', () => {
    const host = sample('router');
    const net = createNet(host, { checksums: 'verify' });
    (net.ipq as { highThresh: number }).highThresh = 1;
    const whole = udp4('10.1.0.2', '10.2.0.1', 1000, 53, bytes(0, 32)).subarray(20);
    expect(defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 7, frag: 0x2000 }, whole.subarray(0, 24))).out).toBeNull();
    const r = defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 7, frag: 3 }, whole.subarray(24)));
    expect(r.out).toBeNull();
    expectFate(r.rec).dropped('NOT_SPECIFIED', 'ip_defrag');
    expect(r.rec.events.some((e) => e.fn === 'ip_defrag' && /ipfrag_high_thresh/.test(e.what))).toBe(true);
  });
});

describe('ip_frag_queue: discard_qp (the whole queue goes, NOT_SPECIFIED)', () => {
  it('a last fragment ending before the queue length (end < q.len)', () => {
    const q = queues();
    put(q, 0, 24, true);
    put(q, 24, 32, true); // q.len 32
    expect(drop(put(q, 8, 16, false))).toEqual({ reason: 'NOT_SPECIFIED', why: 'last fragment disagrees with queue length (discard_qp)' });
    expect(q.size).toBe(0);
    expect(q.memory).toBe(0);
  });
  it('a second last fragment with a different end', () => {
    const q = queues();
    put(q, 24, 40, false); // LAST_IN, q.len 40
    expect(drop(put(q, 32, 48, false))).toEqual({ reason: 'NOT_SPECIFIED', why: 'last fragment disagrees with queue length (discard_qp)' });
    expect(q.size).toBe(0);
  });
  it('a last fragment ending exactly at q.len is taken (not end < q.len): here a duplicate, DUP_FRAG, the queue kept', () => {
    const q = queues();
    put(q, 0, 24, true); // q.len 24 from a non-last fragment
    expect(drop(put(q, 16, 24, false))).toEqual({ reason: 'DUP_FRAG', why: 'duplicate fragment (IPFRAG_DUP)' });
    expect(q.size).toBe(1);
  });
  it('the same last fragment twice: not a different end, a duplicate (DUP_FRAG), the queue kept', () => {
    const q = queues();
    put(q, 24, 40, false);
    expect(drop(put(q, 24, 40, false))).toEqual({ reason: 'DUP_FRAG', why: 'duplicate fragment (IPFRAG_DUP)' });
    expect(q.size).toBe(1);
  });
  it('a non-last fragment beyond the last one', () => {
    const q = queues();
    put(q, 16, 24, false); // LAST_IN, q.len 24
    expect(drop(put(q, 24, 32, true))).toEqual({ reason: 'NOT_SPECIFIED', why: 'fragment beyond the last one (discard_qp)' });
    expect(q.size).toBe(0);
  });
  it('a non-last fragment ending exactly at the last one\'s end is not "beyond" (end > q.len): a duplicate here', () => {
    const q = queues();
    put(q, 16, 24, false);
    expect(drop(put(q, 16, 24, true))).toEqual({ reason: 'DUP_FRAG', why: 'duplicate fragment (IPFRAG_DUP)' });
    expect(q.size).toBe(1);
  });
  it('an empty fragment (4 bytes with MF cut to 0 by end &= ~7) discards what was queued', () => {
    const q = queues();
    put(q, 16, 24, true);
    expect(drop(put(q, 0, 4, true))).toEqual({ reason: 'NOT_SPECIFIED', why: 'empty fragment (discard_qp)' });
    expect(q.size).toBe(0);
    // the rest cannot complete: [16,24) went with the queue
    put(q, 0, 16, true);
    expect(put(q, 24, 40, false).kind).toBe('queued');
  });
});

describe('inet_frag_queue_insert: runs', () => {
  it('a fragment starting at the tail\'s end is appended to the tail run (fragrun_append_to_last): [0,16) after [0,8) and [8,16) is a duplicate', () => {
    const q = queues();
    put(q, 0, 8, true);
    put(q, 8, 16, true);
    // frag_run_len of the run is 16: offset 0 >= run start, end 16 <= run end -> IPFRAG_DUP
    expect(drop(put(q, 0, 16, true))).toEqual({ reason: 'DUP_FRAG', why: 'duplicate fragment (IPFRAG_DUP)' });
  });
  it('the tail is the fragment that ends last: one put before it does not move it', () => {
    const q = queues();
    put(q, 16, 24, true); // tail [16,24)
    put(q, 0, 8, true); // before the tail: binary-search insert, tail unchanged
    put(q, 8, 16, true); // still before the tail (tail end 24 >= 16): no append to a run
    expect(drop(put(q, 16, 24, true))).toEqual({ reason: 'DUP_FRAG', why: 'duplicate fragment (IPFRAG_DUP)' });
    const r = put(q, 24, 32, false);
    expect(r.kind).toBe('complete');
    if (r.kind === 'complete') expect([...r.payload]).toEqual([...bytes(0, 32)]);
  });
});

describe('inet_frag_queue_insert: overlaps before the tail', () => {
  it('a fragment starting inside a run before the tail and ending beyond it: IPFRAG_OVERLAP, queue discarded', () => {
    const q = queues();
    put(q, 0, 16, true);
    put(q, 48, 64, false); // the tail
    expect(drop(put(q, 8, 24, true))).toEqual({ reason: 'NOT_SPECIFIED', why: 'overlapping fragment (IPFRAG_OVERLAP): queue discarded' });
    expect(q.size).toBe(0);
  });
});

describe('ip_frag_reasm: the datagram is built from copies', () => {
  it('payload and header are copied when queued: the capture buffer reused for the next frame does not change them', () => {
    const q = queues();
    const buf = bytes(0, 24);
    const hdr = new Uint8Array([0x45, 0, 0, 44]);
    q.queue('k', 0, 0, true, buf, hdr, 1);
    buf.fill(0xee);
    hdr.fill(0xee);
    const r = q.queue('k', 0, 24, false, bytes(24, 40), null, 2);
    expect(r.kind).toBe('complete');
    if (r.kind !== 'complete') return;
    expect([...r.payload]).toEqual([...bytes(0, 40)]);
    expect([...r.q.firstHdr!]).toEqual([0x45, 0, 0, 44]);
    expect(r.q.frames).toEqual([1, 2]);
  });
  it('a non-last fragment of 12 bytes at offset 8 contributes only [8,16): its last 4 bytes do not overwrite [16,20)', () => {
    const q = queues();
    put(q, 16, 40, false);
    put(q, 0, 8, true);
    const odd = bytes(8, 20);
    odd.fill(0xee, 8); // bytes 16..19 of this fragment disagree with the queued [16,40)
    q.queue('k', 0, 8, true, odd, null, 3);
    // complete once [8,16) is in: meat 24 + 8 + 8 = 40 = q.len
    expect(q.size).toBe(0);
  });
  it('...and the datagram holds the bytes of [16,40) as queued', () => {
    const q = queues();
    put(q, 16, 40, false);
    put(q, 0, 8, true);
    const odd = bytes(8, 20);
    odd.fill(0xee, 8);
    const r = q.queue('k', 0, 8, true, odd, null, 3);
    expect(r.kind).toBe('complete');
    if (r.kind === 'complete') expect([...r.payload]).toEqual([...bytes(0, 40)]);
  });
  it('completion frees the queue\'s memory (inet_frag_reasm_finish sub_frag_mem_limit); a discarded queue too', () => {
    const q = queues();
    put(q, 0, 24, true);
    expect(q.memory).toBe(24);
    put(q, 24, 40, false);
    expect(q.memory).toBe(0);
    put(q, 0, 24, true, 0, 'x');
    put(q, 8, 32, true, 0, 'x'); // overlaps the tail: queue discarded
    expect(q.memory).toBe(0);
  });
});

/** run one IPv4 packet (Ethernet in front) into ip_defrag */
function defrag(net: Net, ip: Uint8Array, user: IpDefragUser = 'local', captured = ip.length) {
  const f = eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, ip);
  const skb = new SkBuff(f, 14 + captured, f.length);
  skb.network_header = 14;
  skb.frameNo = 1;
  const ctx = new FrameCtx();
  ctx.reset(1);
  const out = ip_defrag(net, skb, ctx, user);
  return { out, rec: ctx.toRecord() };
}

describe('ip_defrag: the queue key (ip_find: saddr, daddr, id, protocol, user)', () => {
  const host = sample('router');
  const data = bytes(0, 32);
  /** both fragments of a 40-byte datagram (8 UDP-like header bytes + 32) with these header fields */
  const halves = (src: string, dst: string, id: number, proto: number) => {
    const l4 = new Uint8Array(40);
    l4.set(data, 8);
    return [ipv4({ src, dst, proto, df: false, id, frag: 0x2000 }, l4.subarray(0, 24)), ipv4({ src, dst, proto, df: false, id, frag: 3 }, l4.subarray(24))];
  };
  // each pair differs in one header byte only, so a key that left that byte out would join them
  const base: Parameters<typeof halves> = ['10.1.0.2', '10.2.0.1', 0x0107, 17];
  const cases: [string, Parameters<typeof halves>, Parameters<typeof halves>][] = [
    ['source byte 1', base, ['11.1.0.2', '10.2.0.1', 0x0107, 17]],
    ['source byte 2', base, ['10.9.0.2', '10.2.0.1', 0x0107, 17]],
    ['source byte 3', base, ['10.1.9.2', '10.2.0.1', 0x0107, 17]],
    ['source byte 4', base, ['10.1.0.9', '10.2.0.1', 0x0107, 17]],
    ['destination byte 1', base, ['10.1.0.2', '11.2.0.1', 0x0107, 17]],
    ['destination byte 2', base, ['10.1.0.2', '10.9.0.1', 0x0107, 17]],
    ['destination byte 3', base, ['10.1.0.2', '10.2.9.1', 0x0107, 17]],
    ['destination byte 4', base, ['10.1.0.2', '10.2.0.9', 0x0107, 17]],
    ['the id\'s high byte', base, ['10.1.0.2', '10.2.0.1', 0x0207, 17]],
    ['the id\'s low byte', base, ['10.1.0.2', '10.2.0.1', 0x0108, 17]],
    ['the protocol', base, ['10.1.0.2', '10.2.0.1', 0x0107, 6]],
  ];
  for (const [what, a, b] of cases) {
    it(`datagrams differing only in ${what} have their own queues`, () => {
      const net = createNet(host, { checksums: 'verify' });
      const [a1, a2] = halves(...a);
      const [b1, b2] = halves(...b);
      // the first half of A and the second half of B must not make a datagram
      expect(defrag(net, a1).out).toBeNull();
      expect(defrag(net, b2).out).toBeNull();
      expect(net.ipq.size).toBe(2);
      const wa = defrag(net, a2).out;
      const wb = defrag(net, b1).out;
      expect(wa).not.toBeNull();
      expect(wb).not.toBeNull();
      expect([...wa!.data.subarray(14 + 12, 14 + 20)]).toEqual([...a1.subarray(12, 20)]);
      expect([...wb!.data.subarray(14 + 12, 14 + 20)]).toEqual([...b1.subarray(12, 20)]);
    });
  }
  it('the same fragments for local delivery and for conntrack (IP_DEFRAG_CONNTRACK_IN) are separate queues', () => {
    const net = createNet(host, { checksums: 'verify' });
    const [a1, a2] = halves('10.1.0.2', '10.2.0.1', 9, 17);
    expect(defrag(net, a1, 'local').out).toBeNull();
    expect(defrag(net, a2, 'conntrack_in').out).toBeNull();
    expect(net.ipq.size).toBe(2);
    expect(defrag(net, a2, 'local').out).not.toBeNull();
  });
});

describe('ip_defrag: a fragment the capture cut short', () => {
  it('is not queued (its bytes are missing): unsupported, dropped at ip_defrag', () => {
    const net = createNet(sample('router'), { checksums: 'verify' });
    const ip = ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 15, frag: 0x2000 }, bytes(0, 32));
    const { out, rec } = defrag(net, ip, 'local', 28);
    expect(out).toBeNull();
    expectFate(rec).dropped('NOT_SPECIFIED', 'ip_defrag');
    expect(rec.unsupported).toEqual([expect.stringMatching(/snaplen/)]);
    expect(net.ipq.size).toBe(0);
    // captured whole (52 of 52 bytes) it is queued
    expect(defrag(net, ip, 'local', 52).out).toBeNull();
    expect(net.ipq.size).toBe(1);
  });
});

describe('ip_frag_reasm: the rebuilt header', () => {
  const host = sample('router');
  const l4 = new Uint8Array(48).map((_, i) => i * 3);
  it('tot_len of the whole, MF and offset cleared, checksum valid, the transport header after the IP header', () => {
    const net = createNet(host, { checksums: 'verify' });
    defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 11, frag: 0x2000 }, l4.subarray(0, 24)));
    const { out, rec } = defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 11, frag: 3 }, l4.subarray(24)));
    expect(out).not.toBeNull();
    const b = out!.data;
    expect(out!.network_header).toBe(14);
    expect(out!.transport_header).toBe(34);
    expect((b[16] << 8) | b[17]).toBe(68);
    expect([b[20], b[21]]).toEqual([0, 0]);
    expect([...b.subarray(34)]).toEqual([...l4]);
    // ip_send_check: the header sums to 0xffff
    let s = 0;
    for (let i = 14; i < 34; i += 2) s += (b[i] << 8) | b[i + 1];
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    expect(s).toBe(0xffff);
    expect(rec.unsupported ?? []).toEqual([]);
  });
  it('a datagram over 255 bytes: both tot_len bytes are rewritten; the ip_frag_reasm step names the frames', () => {
    const net = createNet(host, { checksums: 'verify' });
    const big = new Uint8Array(400).map((_, i) => i & 0xff);
    defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 19, frag: 0x2000 }, big.subarray(0, 200)));
    const { out, rec } = defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 19, frag: 25 }, big.subarray(200)));
    expect((out!.data[16] << 8) | out!.data[17]).toBe(420);
    expect(rec.events.some((e) => e.fn === 'ip_frag_reasm' && e.what === 'reassembled 420 bytes from frames 1,1')).toBe(true);
  });
  it('fragments that all carry DF: DF kept (max_df_size == max_size), MF and offset cleared', () => {
    const net = createNet(host, { checksums: 'verify' });
    defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: true, id: 12, frag: 0x2000 }, l4.subarray(0, 24)));
    const { out } = defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: true, id: 12, frag: 3 }, l4.subarray(24)));
    expect([out!.data[20], out!.data[21]]).toEqual([0x40, 0]);
  });
  it('frag_max_size is the largest fragment after the trim to a multiple of 8 (fragsize = skb->len + ihl)', () => {
    const net = createNet(host, { checksums: 'verify' });
    // [0,28) with MF is cut to [0,24): fragsize 44, not its tot_len 48; then [24,48) last: 44
    defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 13, frag: 0x2000 }, l4.subarray(0, 28)));
    const { out } = defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 13, frag: 3 }, l4.subarray(24)));
    expect(out!.frag_max_size).toBe(44);
    // a larger last fragment: [0,16) (36) then [16,48) last (52)
    defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 14, frag: 0x2000 }, l4.subarray(0, 16)));
    const r2 = defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 14, frag: 2 }, l4.subarray(16)));
    expect(r2.out!.frag_max_size).toBe(52);
    // the non-last fragment the largest: [0,32) (52) then [32,48) last (36)
    defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 16, frag: 0x2000 }, l4.subarray(0, 32)));
    const r3 = defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 16, frag: 4 }, l4.subarray(32)));
    expect(r3.out!.frag_max_size).toBe(52);
  });
  it('a first fragment with IP options (ihl 6) and 8 data bytes: the datagram keeps its whole header, options included', () => {
    const net = createNet(host, { checksums: 'verify' });
    // ip_frag_reasm keeps the head fragment's header: 24 bytes with four NOP option bytes
    const plain = ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 17, frag: 0x2000 }, l4.subarray(0, 8));
    const first = new Uint8Array(24 + 8);
    first.set(plain.subarray(0, 20), 0);
    first.fill(1, 20, 24);
    first.set(l4.subarray(0, 8), 24);
    first[0] = 0x46;
    first[3] = 32;
    ipSendCheck(first, 0);
    defrag(net, first);
    const { out } = defrag(net, ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 17, frag: 1 }, l4.subarray(8)));
    expect(out).not.toBeNull();
    const b = out!.data;
    expect(out!.transport_header).toBe(14 + 24);
    expect([...b.subarray(14 + 20, 14 + 24)]).toEqual([1, 1, 1, 1]);
    expect((b[16] << 8) | b[17]).toBe(24 + 48);
    expect([...b.subarray(14 + 24)]).toEqual([...l4]);
  });
  it('a duplicate through ip_defrag is dropped at ip_frag_queue (DUP_FRAG), the queue kept', () => {
    const net = createNet(host, { checksums: 'verify' });
    const f1 = ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, id: 18, frag: 0x2000 }, l4.subarray(0, 24));
    defrag(net, f1);
    const { out, rec } = defrag(net, f1);
    expect(out).toBeNull();
    expectFate(rec).dropped('DUP_FRAG', 'ip_frag_queue');
    expect(rec.events.some((e) => e.fn === 'ip_frag_queue' && /IPFRAG_DUP/.test(e.what))).toBe(true);
    expect(net.ipq.size).toBe(1);
  });
});
