// A real router recorded the way a user would (captures/record-router.sh): a router netns running
// dnsmasq (DHCP + DNS), forwarding with masquerade and a forward filter between a DHCP client and a
// server netns; `tcpdump -i any -w` on the router, then `pktlife snapshot --netns`. The capture
// itself says what the kernel did with each frame, independently of the model:
//  - a forwarded packet is captured twice: in on one interface, then out on another with the
//    same IP ID / flow label, length, protocol and payload end and TTL / hop limit one less
//    (paired here from the raw SLL2 bytes, by the test's own reading, not by pktlife);
//  - the host's answers (echo reply, RST, ARP reply, NA, SYN-ACK) are frames it sent right after;
//  - silence: a frame neither copied out nor answered.
// Every frame's record is checked against that.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FateRecord } from '../../src/kernel/fate.js';
import { replay } from '../../src/replay.js';

const CAP = new URL('../../captures/router-any.pcap', import.meta.url).pathname;
const HOST = new URL('../../captures/router-host', import.meta.url).pathname;

/** known disagreements with the kernel, each with its reason (frame numbers of router-any.pcap) */
const KNOWN: Record<number, string> = {};

interface Raw {
  no: number;
  ts: number;
  out: boolean;
  ifindex: number;
  proto: number;
  ip: Uint8Array;
}

/** the capture's frames, read from the pcap file and the SLL2 header by hand */
function readSll2(path: string): Raw[] {
  const b = readFileSync(path);
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect(b.readUInt32LE(20)).toBe(276); // LINKTYPE_LINUX_SLL2: what `tcpdump -i any` writes
  const out: Raw[] = [];
  for (let o = 24, no = 1; o + 16 <= b.length; no++) {
    const ts = b.readUInt32LE(o) + b.readUInt32LE(o + 4) / 1e6;
    const cap = b.readUInt32LE(o + 8);
    const f = b.subarray(o + 16, o + 16 + cap);
    out.push({ no, ts, out: f[10] === 4, ifindex: f.readUInt32BE(4), proto: f.readUInt16BE(0), ip: f.subarray(20) });
    o += 16 + cap;
  }
  return out;
}

/** what identifies a forwarded packet on both sides: unchanged by routing and masquerade */
function fwdKey(r: Raw, ttlDelta: number): string | null {
  const p = r.ip;
  // the end of the payload after the transport header (its checksum changes with NAT)
  const l3 = r.proto === 0x0800 ? (p[0] & 15) * 4 : 40;
  const proto = r.proto === 0x0800 ? p[9] : p[6];
  const l4 = l3 + (proto === 6 && p.length > l3 + 12 ? (p[l3 + 12] >> 4) * 4 : 8);
  // an ICMP error quotes the packet it is about, whose header NAT translates back: its data only
  const icmpErr = (proto === 1 && [3, 11, 12].includes(p[l3])) || (proto === 58 && p[l3] < 128);
  const tail = Buffer.from(p.subarray(Math.max(l4, p.length - (icmpErr ? 4 : 8)))).toString('hex');
  if (r.proto === 0x0800 && p.length >= 20) return `4 id${p.readUInt16BE(4)} len${p.readUInt16BE(2)} p${p[9]} ttl${p[8] + ttlDelta} ${tail}`;
  if (r.proto === 0x86dd && p.length >= 40) return `6 fl${p.readUInt32BE(0) & 0xfffff} len${p.readUInt16BE(4)} nh${p[6]} hl${p[7] + ttlDelta} ${tail}`;
  return null;
}

/** the capture's own pairs: inbound frame -> the outbound frame that is its forwarded copy */
function observedForwards(raw: Raw[]): Map<number, Raw> {
  const pairs = new Map<number, Raw>();
  const used = new Set<number>();
  raw.forEach((r, i) => {
    if (r.out) return;
    const k = fwdKey(r, -1);
    if (!k) return;
    for (let j = i + 1; j < raw.length && raw[j].ts - r.ts < 1; j++) {
      const c = raw[j];
      if (c.out && !used.has(c.no) && c.ifindex !== r.ifindex && fwdKey(c, 0) === k) {
        pairs.set(r.no, c);
        used.add(c.no);
        break;
      }
    }
  });
  return pairs;
}

/** a reply summary without what the model cannot know (the host's ISN, TCP options) */
const norm = (s: string): string =>
  s.replace(/^(?:In|Out|B|M|P)\s+/, '').replace(/, seq \d+.*$/, '').replace(/, options \[.*?\]/, '').replace(/, ack \d+, win \d+/, '')
    // a bare ACK may leave carried by the host's next segment (its FIN or data: delayed ACK)
    .replace(/Flags \[[FP]\.\]/, 'Flags [.]').replace(/, length \d+$/, '');

describe('a real router (tcpdump -i any, dnsmasq, NAT) replayed against its snapshot', () => {
  const raw = readSll2(CAP);
  const items = [...replay(CAP, HOST)].map((it) => ({ frame: it.frame, iface: it.iface, summary: it.summary, record: it.record }));
  const rec = new Map<number, FateRecord>(items.map((x) => [x.frame, x.record]));
  const ifname = new Map<number, string>(raw.map((r, i) => [r.ifindex, items[i].iface]));
  const pairs = observedForwards(raw);
  const copyOf = new Map<number, number>([...pairs].map(([n, c]) => [c.no, n]));

  it('holds a real router session: DHCP, DNS over UDP and TCP, pings, TCP through NAT, IPv6 forwarding', () => {
    expect(raw.length).toBe(items.length);
    const text = items.map((x) => x.summary).join('\n');
    for (const re of [/67 > .*\.68|\.68 > .*\.67/, /\.53: /, /\.8080: Flags \[S\]/, /echo request/, /IP6 fd77:1::2 > fd77:2::2/]) expect(text).toMatch(re);
    expect(pairs.size).toBeGreaterThanOrEqual(20);
  });

  it('every packet the capture shows forwarded is forwarded by the model, by the interface its copy left', () => {
    const bad: string[] = [];
    for (const [n, c] of pairs) {
      const r = rec.get(n)!;
      if (KNOWN[n]) continue;
      if (r.fate !== 'forwarded' || JSON.stringify(r.egress) !== JSON.stringify([ifname.get(c.ifindex)])) bad.push(`frame ${n}: ${r.fate} ${r.egress ?? ''} (capture: copy ${c.no} on ${ifname.get(c.ifindex)})`);
    }
    expect(bad).toEqual([]);
  });

  it('each outbound copy is recorded as the copy of the frame it came from (copy_of, its fate), no second pass', () => {
    const bad: string[] = [];
    for (const [m, n] of copyOf) {
      const r = rec.get(m)!;
      if (KNOWN[n]) continue;
      if (r.copy_of !== n || r.fate !== rec.get(n)!.fate || r.verdicts || r.replies) bad.push(`frame ${m}: ${JSON.stringify({ fate: r.fate, copy_of: r.copy_of })} (capture: copy of ${n})`);
      // the copy has no journey of its own through netfilter or routing
      if (r.events.some((e) => /nf_hook|nft_|ip_route|ip_forward|conntrack/.test(e.fn))) bad.push(`frame ${m}: events of a pass of its own`);
    }
    expect(bad).toEqual([]);
  });

  it('every other outbound frame is sent by the host from its own address; none is a copy', () => {
    const local = new Set(['10.77.1.1', '10.77.2.1', 'fd77:1::1', 'fd77:2::1', 'fe80::77:ff:fe00:101', 'fe80::77:ff:fe00:201']);
    const bad: string[] = [];
    for (const r of raw) {
      if (!r.out || copyOf.has(r.no)) continue;
      if (KNOWN[copyOf.get(r.no) ?? -1]) continue;
      const x = rec.get(r.no)!;
      // the replay's SLL2 summaries start with the direction (the device is the item's iface)
      const m = /^(?:In|Out|B|M|P)\s+(IP6?) (\S+) >/.exec(items[r.no - 1].summary);
      const src = !m ? undefined : m[1] === 'IP' ? m[2].split('.').slice(0, 4).join('.') : m[2].replace(/\.\d+$/, '');
      if (x.fate !== 'sent' || x.copy_of !== undefined || (src !== undefined && !local.has(src))) bad.push(`frame ${r.no}: ${x.fate} from ${src}`);
    }
    // an outbound frame the model cannot match says so (only for a known disagreement's frame)
    const unmatched = items.filter((x) => x.record.unsupported?.some((u) => u.includes('matches no frame the model forwarded')));
    expect(unmatched.map((x) => copyOf.get(x.frame))).toEqual(Object.keys(KNOWN).map(Number));
    expect(bad).toEqual([]);
  });

  it("the host's answers are in the capture; frames nobody forwarded or answered stay silent", () => {
    const bad: string[] = [];
    let answered = 0;
    let silent = 0;
    for (const x of items) {
      const r = x.record;
      if (raw[x.frame - 1].out) continue;
      // each reply the model sends is a frame the host sent soon after on that interface
      for (const rep of r.replies ?? []) {
        const seen = items.some((y) => y.frame > x.frame && raw[y.frame - 1].out && raw[y.frame - 1].ts - raw[x.frame - 1].ts < 0.5 && y.iface === rep.iface && norm(y.summary) === norm(rep.summary));
        if (seen) answered++;
        else bad.push(`frame ${x.frame}: reply "${rep.summary}" not in the capture`);
      }
      if (r.fate === 'dropped' && !r.replies) {
        silent++;
        if (pairs.has(x.frame)) bad.push(`frame ${x.frame}: dropped, but the capture shows it leaving (${pairs.get(x.frame)!.no})`);
      }
    }
    expect(bad).toEqual([]);
    expect(answered).toBeGreaterThanOrEqual(8);
    expect(silent).toBeGreaterThanOrEqual(1);
    // the new connection from outside to the LAN meets the forward policy: dropped, nothing leaves
    const fromOutside = items.find((x) => /IP 10\.77\.2\.2 > 10\.77\.1\.\d+: ICMP echo request/.test(x.summary))!;
    expect(fromOutside.record).toMatchObject({ fate: 'dropped', reason: 'NETFILTER_DROP' });
    expect(pairs.has(fromOutside.frame)).toBe(false);
  });

  it('figures', () => {
    const n = (f: (r: FateRecord) => boolean) => items.filter((x) => f(x.record)).length;
    const fig = {
      frames: items.length,
      sent: n((r) => r.fate === 'sent'),
      copies: n((r) => r.copy_of !== undefined),
      forwarded: n((r) => r.fate === 'forwarded' && r.copy_of === undefined),
      capturePairs: pairs.size,
    };
    console.log(`router-any.pcap: ${JSON.stringify(fig)}`);
    expect(fig.copies).toBe(pairs.size - Object.keys(KNOWN).length);
  });
});
