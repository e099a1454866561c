import { describe, expect, it } from 'vitest';
import { FilteredView, FilterError, parseFilter } from '../../src/ui/filter.js';
import { RowStore } from '../../src/ui/store.js';
import { addressesOf, decodeHeaders, protocolsOf } from '../../src/ui/decode.js';
import { arraySource } from '../../src/ui/sources.js';
import { ReplayPump } from '../../src/ui/pump.js';
import { synthSource } from '../../src/ui/synth.js';
import { basicItems, ICMP_UNREACH, SYN81, tsharkRows, UDP9998 } from './helpers.js';

function loaded(): RowStore {
  const s = new RowStore();
  for (const it of basicItems()) s.add(it);
  return s;
}
const frames = (s: RowStore, text: string): number[] => {
  const v = new FilteredView(parseFilter(text)!);
  v.advance(s, 1e9);
  return Array.from(v.idx.subarray(0, v.length), (i) => s.frameNo[i]);
};

describe('RowStore', () => {
  it('counts frames per fate and per drop reason as the records say', () => {
    const items = basicItems();
    const s = new RowStore();
    for (const it of items) s.add(it);
    expect(s.count).toBe(items.length);
    const byFate = (f: string) => items.filter((x) => x.record.fate === f).length;
    expect(s.fateCounts).toEqual([byFate('delivered'), byFate('forwarded'), byFate('bridged'), byFate('sent'), byFate('consumed'), byFate('dropped'), 0]);
    expect(Object.fromEntries(s.reasonCounts)).toEqual({ NO_SOCKET: 1, NETFILTER_DROP: 1 });
    expect(s.ruleHits.get('inet fw input: udp dport 9998 drop (nft.txt:7)')).toBe(1);
    expect(s.ruleHits.get('ip filter INPUT: policy accept')).toBe(1);
  });

  it('keeps of each frame the header bytes the decoders read: same headers, protocols and addresses as from the first 128', () => {
    const items = basicItems();
    const s = new RowStore();
    for (const it of items) s.add(it);
    let kept = 0;
    let first = 0;
    for (let i = 0; i < items.length; i++) {
      const full = items[i].bytes!.subarray(0, 128);
      const b = s.bytes(i);
      expect(Array.from(b)).toEqual(Array.from(full.subarray(0, b.length))); // a prefix
      expect(decodeHeaders(b, 1)).toEqual(decodeHeaders(full, 1));
      expect(protocolsOf(b, 1)).toEqual(protocolsOf(full, 1));
      expect(addressesOf(b, 1)).toEqual(addressesOf(full, 1));
      kept += b.length;
      first += full.length;
    }
    expect(kept).toBeLessThan(first); // payload bytes are not kept
  });

  it('grows past its initial capacity and shares identical records', () => {
    const s = new RowStore();
    const p = new ReplayPump(synthSource(5000), s);
    while (!p.done) p.step(50);
    expect(s.count).toBe(5000);
    expect(s.frameNo[4999]).toBe(5000);
    // five templates in the synthetic mix: rows of one template share its event objects
    const firstEvents = new Set<unknown>();
    for (let i = 0; i < 5000; i++) firstEvents.add(s.events(i)[0]);
    expect(firstEvents.size).toBeLessThanOrEqual(5);
    const src = synthSource(10);
    let tenth = src.next();
    for (let k = 1; k < 10; k++) tenth = src.next();
    expect(s.record(9)).toEqual(tenth!.record);
  });
});

describe('filter expressions over tcpdump summaries, checked against tshark fields', () => {
  const s = loaded();
  const tsh = tsharkRows();
  const where = (p: (r: Record<string, string>) => boolean) => tsh.filter(p).map((r) => Number(r['frame.number']));

  it('port=8080 selects the frames whose TCP port is 8080', () => {
    expect(frames(s, 'port=8080')).toEqual(where((r) => r['tcp.srcport'] === '8080' || r['tcp.dstport'] === '8080'));
  });

  it('port=9998 matches the UDP datagram, not the ICMP error quoting it', () => {
    // tshark also dissects the quoted header of ICMP error; a port filter means the frame's own ports
    expect(frames(s, 'port=9998')).toEqual(where((r) => (r['udp.dstport'] === '9998' || r['udp.srcport'] === '9998') && !r['icmp.type']));
  });

  it('proto= uses the captured bytes (same as tshark ip.proto / arp / ipv6)', () => {
    expect(frames(s, 'proto=tcp')).toEqual(where((r) => r['tcp.srcport'] !== ''));
    expect(frames(s, 'proto=arp')).toEqual(where((r) => r['arp.opcode'] !== ''));
    expect(frames(s, 'proto=icmp')).toEqual(where((r) => r['ip.proto'].split(',')[0] === '1'));
    expect(frames(s, 'proto=icmp6')).toEqual(where((r) => r['icmpv6.type'] !== ''));
    expect(frames(s, 'ip6')).toEqual(where((r) => r['ipv6.src'] !== ''));
  });

  it('an address matches as a whole, as source or destination', () => {
    // a tcpdump line names the ARP sender/target and the ND target too
    const has = (r: Record<string, string>, a: string) =>
      [r['ip.src'], r['ip.dst'], r['ipv6.src'], r['ipv6.dst'], r['arp.src.proto_ipv4'], r['arp.dst.proto_ipv4'], r['icmpv6.nd.ns.target_address'], r['icmpv6.nd.na.target_address']]
        .some((v) => v.split(',')[0] === a);
    expect(frames(s, 'addr=fd20::1')).toEqual(where((r) => has(r, 'fd20::1')));
    expect(frames(s, '10.20.0.2')).toEqual(where((r) => has(r, '10.20.0.2')));
    expect(frames(s, 'addr=fe80::ff:fe00:202')).toEqual(where((r) => has(r, 'fe80::ff:fe00:202')));
  });

  it('fate, reason, negation, alternatives and free text combine with AND', () => {
    expect(frames(s, 'fate=dropped')).toEqual([SYN81, UDP9998]);
    expect(frames(s, 'dropped reason=no_socket')).toEqual([SYN81]);
    expect(frames(s, 'reason=SKB_DROP_REASON_NETFILTER_DROP')).toEqual([UDP9998]);
    expect(frames(s, 'fate=dropped,delivered port!=8080')).toEqual([SYN81, UDP9998]);
    expect(frames(s, 'unreachable')).toEqual([ICMP_UNREACH]);
    expect(frames(s, 'fn=tcp_v4_send_reset')).toEqual([SYN81]);
    expect(frames(s, 'rule=9998')).toEqual([UDP9998]);
    expect(frames(s, 'if=eth0 proto=udp')).toEqual(where((r) => r['udp.srcport'] !== '' && !r['icmp.type']));
  });

  it('rejects what it cannot mean, naming the term', () => {
    expect(() => parseFilter('fate=lost')).toThrow(FilterError);
    expect(() => parseFilter('fate=lost')).toThrow(/lost/);
    expect(() => parseFilter('colour=red')).toThrow(/unknown filter key "colour"/);
    expect(() => parseFilter('port=70000')).toThrow(/port/);
    expect(() => parseFilter('addr=10.20.0.')).toThrow(/not an IPv4 or IPv6 address/);
    expect(parseFilter('   ')).toBeNull();
  });

  it('filters a growing store incrementally', () => {
    const st = new RowStore();
    const items = basicItems();
    const v = new FilteredView(parseFilter('proto=tcp')!);
    for (const it of items.slice(0, 20)) st.add(it);
    v.advance(st, 5);
    expect(v.scanned).toBe(5);
    v.advance(st, 1e9);
    for (const it of items.slice(20)) st.add(it);
    expect(v.advance(st, 1e9)).toBe(true);
    expect(Array.from(v.idx.subarray(0, v.length), (i) => st.frameNo[i])).toEqual(frames(s, 'proto=tcp'));
    const firstTcp = v.idx[0];
    expect(v.lowerBound(firstTcp + 2)).toBe(2); // the 8080 connection's frames are consecutive
  });
});

describe('ReplayPump', () => {
  it('stops at a source error, keeping the frames before it', () => {
    const items = basicItems().slice(0, 3);
    const src = arraySource(items);
    let k = 0;
    const bad = { ...src, next: () => (k++ < 3 ? src.next() : (() => { throw new Error('capture.pcap: offset 400: truncated record'); })()) };
    const s = new RowStore();
    const p = new ReplayPump(bad, s);
    p.step(50);
    expect(p.done).toBe(true);
    expect(s.count).toBe(3);
    expect(p.progress().error).toMatch(/offset 400: truncated record/);
  });
});

describe('runTimelineUI without a terminal', () => {
  it('prints one plain line per frame, no escape codes', async () => {
    const { runTimelineUI } = await import('../../src/ui/index.js');
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    let text = '';
    (out as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
    const items = basicItems();
    await runTimelineUI(arraySource(items), { stdout: out });
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBe(items.length);
    expect(text).not.toMatch(/\x1b/);
    const d = items.find((x) => x.record.fate === 'dropped')!;
    expect(lines[d.frame - 1]).toMatch(new RegExp(`^ *${d.frame} .* eth0 +dropped ${d.record.reason}  ${d.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});

describe('negated bare words and egress interfaces', () => {
  const s = loaded();
  const tsh = tsharkRows();
  const where = (p: (r: Record<string, string>) => boolean) => tsh.filter(p).map((r) => Number(r['frame.number']));

  it('!word selects exactly the frames the word does not (tshark: frames without TCP, without ARP)', () => {
    expect(frames(s, '!tcp')).toEqual(where((r) => r['tcp.srcport'] === ''));
    expect(frames(s, '!arp')).toEqual(where((r) => r['arp.opcode'] === ''));
    expect(frames(s, '!dropped')).toEqual(where((r) => ![SYN81, UDP9998].includes(Number(r['frame.number']))));
  });

  it('if= matches a frame by its egress interface as well as its ingress one', () => {
    // hand-made: frame 1 came in on eth0 and left by eth1 (forwarded), frame 2 came in on eth1
    // and was delivered, frame 3 came in on eth2 and left by eth0 and eth3 (a flood)
    const st = new RowStore();
    const base = basicItems()[0]!;
    const mk = (frame: number, iface: string, fate: 'forwarded' | 'delivered' | 'bridged', egress?: string[]) =>
      st.add({ ...base, frame, iface, record: { frame, fate, events: [], ...(egress ? { egress } : {}) } });
    mk(1, 'eth0', 'forwarded', ['eth1']);
    mk(2, 'eth1', 'delivered');
    mk(3, 'eth2', 'bridged', ['eth0', 'eth3']);
    expect(frames(st, 'if=eth1')).toEqual([1, 2]);
    expect(frames(st, 'if=eth0')).toEqual([1, 3]);
    expect(frames(st, 'if=eth3')).toEqual([3]);
    expect(frames(st, 'if!=eth0')).toEqual([2]);
  });
});
