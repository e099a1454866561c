// A reply is another skb. Measured on this machine (kernel 6.18, nftables 1.0.6) in a namespace with
// `meta nftrace set 1` at prerouting -400 and the rule set RULES below: a SYN to 8080 (reject with tcp
// reset), a SYN to the closed port 5555 (tcp_v4_send_reset) and a datagram to 5000 (reject: ICMP port
// unreachable). nft monitor trace printed, per frame, only the frame's own chains (`inet filter input
// rule tcp dport 8080 reject with tcp reset (verdict drop)`, `inet filter input policy accept`,
// `inet filter input rule udp dport 5000 reject (verdict drop)`); the peer's capture saw no answer, and
// the output rules' counters read 2 packets (both RSTs) and 1 (the ICMP error): each answer was built,
// ran OUTPUT as its own skb and was dropped there.
import { describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { captureFromBuffer } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { replaySource } from '../../src/replay.js';
import { eth, tcp4, udp4 } from './helpers.js';

const HOSTDIR = new URL('../../fixtures/kernel/input-firewall/host', import.meta.url).pathname;
const RULES = `table inet filter {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8080 reject with tcp reset
    udp dport 5000 reject
  }
  chain output {
    type filter hook output priority 0; policy accept;
    tcp flags rst counter drop
    icmp type destination-unreachable counter drop
  }
}
`;

function replayFrames(rules: string, frames: Uint8Array[]): FateRecord[] {
  const host = loadHost(HOSTDIR);
  host.iptables = undefined;
  host.ip6tables = undefined;
  host.nftJson = undefined;
  host.nftText = { path: 'nft.txt', text: rules };
  const w = new PcapngWriter();
  const ifc = w.addInterface({ name: 'eth0', linktype: 1 });
  frames.forEach((f, i) => w.writePacket({ iface: ifc, tsSec: 1_700_000_000, tsNsec: i * 1e6, data: eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, f) }));
  const src = replaySource(captureFromBuffer(w.close(), 'mem.pcapng'), 'mem', host, { checksums: 'verify' });
  const out: FateRecord[] = [];
  for (let it = src.next(); it; it = src.next()) out.push(JSON.parse(JSON.stringify(it.record)) as FateRecord);
  src.close();
  return out;
}

const trace = (r: FateRecord, skb: 'frame' | 'reply') =>
  r.events.filter((e) => e.fn === 'nft_do_chain' && (skb === 'reply') === (e.skb === 'reply')).map((e) => e.what.replace(/ rule handle \d+/, ' rule'));

describe('a reply is another skb', () => {
  const [rej, closed, udp] = replayFrames(RULES, [tcp4('10.0.1.2', '10.0.1.1', 40000, 8080, 0x02), tcp4('10.0.1.2', '10.0.1.1', 40001, 5555, 0x02), udp4('10.0.1.2', '10.0.1.1', 40002, 5000)]);

  it('the frame keeps its own fate, verdicts and trace; the reply dropped in OUTPUT is listed as dropped', () => {
    expect(rej!.fate).toBe('dropped');
    expect(rej!.reason).toBe('NETFILTER_DROP');
    expect(rej!.verdicts!.map((v) => `${v.hook} ${v.chain} ${v.verdict}`)).toEqual(['input input drop']);
    expect(trace(rej!, 'frame')).toEqual(['inet filter input rule (verdict drop)']);
    expect(rej!.replies).toEqual([{ iface: 'eth0', summary: 'IP 10.0.1.1.8080 > 10.0.1.2.40000: Flags [R.], seq 0, ack 1001, win 0, length 0', dropped: 'NETFILTER_DROP' }]);
    // the reply's own steps: tagged with its index, its OUTPUT chain among them
    expect(trace(rej!, 'reply')).toEqual(['inet filter output rule (verdict drop)']);
    const own = rej!.events.filter((e) => e.skb === 'reply');
    expect(own.length).toBeGreaterThan(1);
    expect(own.every((e) => e.reply === 0)).toBe(true);
    // the frame's drop point is the frame's (not the reply's) and comes before the reply's steps
    const dropAt = rej!.events.findIndex((e) => e.what === 'drop NETFILTER_DROP');
    expect(rej!.events[dropAt]!.skb).toBeUndefined();
  });
  it('a closed port: NO_SOCKET for the frame, its RST dropped by the output rule', () => {
    expect(closed!.fate).toBe('dropped');
    expect(closed!.reason).toBe('NO_SOCKET');
    expect(closed!.verdicts!.map((v) => `${v.hook} ${v.chain} ${v.verdict}`)).toEqual(['input input accept']);
    expect(trace(closed!, 'frame')).toEqual(['inet filter input policy accept']);
    expect(closed!.replies?.map((r) => r.dropped)).toEqual(['NETFILTER_DROP']);
  });
  it('reject of a datagram: the ICMP port unreachable dropped by the output rule', () => {
    expect(udp!.reason).toBe('NETFILTER_DROP');
    expect(trace(udp!, 'frame')).toEqual(['inet filter input rule (verdict drop)']);
    expect(udp!.replies).toHaveLength(1);
    expect(udp!.replies![0]!.summary).toMatch(/^IP 10\.0\.1\.1 > 10\.0\.1\.2: ICMP 10\.0\.1\.1 udp port 5000 unreachable/);
    expect(udp!.replies![0]!.dropped).toBe('NETFILTER_DROP');
  });
  it('without the output rules the same replies leave, tagged the same way', () => {
    const [r] = replayFrames(RULES.replace(/tcp flags rst counter drop\n\s*icmp type destination-unreachable counter drop\n/, ''), [tcp4('10.0.1.2', '10.0.1.1', 40000, 8080, 0x02)]);
    expect(r!.replies).toEqual([{ iface: 'eth0', summary: 'IP 10.0.1.1.8080 > 10.0.1.2.40000: Flags [R.], seq 0, ack 1001, win 0, length 0' }]);
    expect(trace(r!, 'reply')).toEqual(['inet filter output policy accept']);
    expect(r!.events.filter((e) => e.skb === 'reply').at(-1)).toMatchObject({ fn: 'dev_queue_xmit', reply: 0 });
  });
});

describe('the detail pane shows a reply\'s steps under that reply', () => {
  it('indented under "↳ reply", the dropped one marked, the frame\'s drop point on the frame\'s own step', async () => {
    const { RowStore } = await import('../../src/ui/store.js');
    const { buildDetail } = await import('../../src/ui/detail.js');
    const [rej] = replayFrames(RULES, [tcp4('10.0.1.2', '10.0.1.1', 40000, 8080, 0x02)]);
    const s = new RowStore();
    s.add({ frame: 1, tsSec: 0, tsNsec: 0, iface: 'eth0', summary: 'x', record: rej! });
    const lines = buildDetail(s, 0).map((l) => l.map((x) => x.t).join(''));
    const head = lines.findIndex((l) => l.includes('↳ reply'));
    expect(lines[head]).toBe(' │ ↳ reply → eth0: IP 10.0.1.1.8080 > 10.0.1.2.40000: Flags [R.], seq 0, ack 1001, win 0, length 0  ✖ dropped NETFILTER_DROP');
    // every step after the heading that belongs to the reply is indented one level deeper
    const out = lines.findIndex((l) => /inet filter output rule handle \d+ \(verdict drop\)/.test(l));
    expect(out).toBeGreaterThan(head);
    expect(lines[out]).toMatch(/^ │    ○ nft_do_chain/);
    expect(lines.find((l) => l.includes('◄ dropped here'))).toMatch(/^ ✖ nf_hook_slow  drop NETFILTER_DROP/);
    expect(lines).toContain('  ✖ eth0  IP 10.0.1.1.8080 > 10.0.1.2.40000: Flags [R.], seq 0, ack 1001, win 0, length 0  not sent: dropped NETFILTER_DROP');
  });
});
