// The detail pane's conntrack and NAT sections on the kernel-recorded NAT scenario
// (fixtures/kernel/nat): the rewrites must be the ones the kernel put on the wire
// (evidence/peer-captures.txt, tcpdump on the peers), and the TCP states before -> after must
// follow the kernel's table (net/netfilter/nf_conntrack_proto_tcp.c tcp_conntracks: a SYN in
// the original direction takes sNO to sSS; a SYN/ACK in reply takes sSS to sSR; the ACK in the
// original direction takes sSR to sES).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openReplay } from '../../src/replay.js';
import { loadHost } from '../../src/host/load.js';
import { RowStore } from '../../src/ui/store.js';
import { buildDetail } from '../../src/ui/detail.js';
import { CtIndex, ctView, parseCtState } from '../../src/ui/conntrack.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { ROOT } from './helpers.js';

const FX = `${ROOT}fixtures/kernel/nat`;

function natStore(): RowStore {
  const src = openReplay(`${FX}/frames.pcapng`, loadHost(`${FX}/host`), { checksums: 'auto', summaries: true, events: true });
  const s = new RowStore();
  for (let it = src.next(); it; it = src.next()) s.add(it);
  return s;
}

/** the detail's lines from `from` heading up to the next heading, as text */
function section(s: RowStore, frame: number, from: string, ct = new CtIndex()): string[] {
  const lines = buildDetail(s, frame - 1, ct).map((l) => l.map((x) => x.t).join(''));
  const k = lines.findIndex((l) => l.startsWith(`── ${from} `));
  if (k < 0) return [];
  const end = lines.findIndex((l, j) => j > k && l.startsWith('── '));
  return lines.slice(k + 1, end < 0 ? undefined : end).filter((l) => l.trim());
}

/** "# frame N" -> the peer's tcpdump line for the frame as it left the router */
function peerLines(): Map<number, string> {
  const m = new Map<number, string>();
  const t = readFileSync(`${FX}/evidence/peer-captures.txt`, 'utf8').split('\n');
  for (let k = 0; k < t.length - 1; k++) {
    const h = /^# frame (\d+)$/.exec(t[k]);
    if (h) m.set(Number(h[1]), t[k + 1]);
  }
  return m;
}
/** "a.b.c.d.port > e.f.g.h.port" of a tcpdump line */
const ends = (l: string) => /: (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+):/.exec(l)!.slice(1);

describe('conntrack section on the kernel-recorded NAT scenario', () => {
  const s = natStore();
  const peer = peerLines();
  const conn1 = 'src=10.0.1.2 dst=203.0.113.50 sport=40300 dport=443';

  it('shows the entry, and the TCP state before -> after for the handshake (tcp_conntracks)', () => {
    const ct = new CtIndex();
    const f1 = section(s, 1, 'Conntrack', ct).join('\n');
    expect(f1).toContain(`entry    ${conn1}`);
    expect(f1).toMatch(/packet +NEW/);
    // as nf_conntrack_in recorded them, in conntrack -L's words ([UNREPLIED] until a reply is seen)
    expect(f1).toMatch(/before +no entry +\(recorded by nf_conntrack_in\)/);
    expect(f1).toMatch(/after +SYN_SENT \[UNREPLIED\] +inserted by __nf_conntrack_confirm/);
    const f2 = section(s, 2, 'Conntrack', ct).join('\n');
    expect(f2).toMatch(/packet +ESTABLISHED_REPLY/);
    expect(f2).toMatch(/before +SYN_SENT \[UNREPLIED\] +\(recorded/);
    expect(f2).toMatch(/after +SYN_RECV\s*$/m);
    const f3 = section(s, 3, 'Conntrack', ct).join('\n');
    expect(f3).toMatch(/before +SYN_RECV +\(recorded/);
    expect(f3).toMatch(/after +ESTABLISHED/);
  });

  it('shows NAT rewrites as the kernel sent them (peer captures)', () => {
    // frame 1: masquerade; the peer saw the router's address as source
    const [src1] = ends(peer.get(1)!);
    const n1 = section(s, 1, 'NAT').join('\n');
    expect(n1).toMatch(new RegExp(`binding +masquerade to ${src1.replace(/\./g, '\\.')}:40300`));
    expect(n1).toContain(`ip.saddr 10.0.1.2 → ${src1}`);
    // frame 8: dnat; the inside host saw the new destination address and port
    const [, , dst8, dport8] = ends(peer.get(8)!);
    const n8 = section(s, 8, 'NAT').join('\n');
    expect(n8).toContain(`ip.daddr 203.0.113.1 → ${dst8}`);
    expect(n8).toContain(`dport    8080 → ${dport8}`);
    // frame 9: the reply is un-DNATed on the way out
    const [src9, sport9] = ends(peer.get(9)!);
    const n9 = section(s, 9, 'NAT').join('\n');
    expect(n9).toContain(`ip.saddr ${dst8} → ${src9}`);
    expect(n9).toContain(`sport    ${dport8} → ${sport9}`);
  });

  it("keeps the kernel's reply apart: its RST moves the entry on (then CLOSE)", () => {
    // frame 19: SYN to a closed port; the RST the kernel sends is ESTABLISHED_REPLY of the same entry
    const f = section(s, 19, 'Conntrack').join('\n');
    expect(f).toMatch(/after +SYN_SENT \[UNREPLIED\]/);
    expect(f).toMatch(/then +CLOSE \[SEEN_REPLY\]/);
    expect(section(s, 19, "Conntrack of the kernel's replies").join('\n')).toMatch(/nf_conntrack_in +ESTABLISHED_REPLY src=203\.0\.113\.50 /);
  });
});

describe('conntrack events read from a record', () => {
  const rec = (events: FateRecord['events']): FateRecord => ({ frame: 1, fate: 'forwarded', events });

  it('reads ctinfo, tuple and TCP state; an ICMP error names the connection it belongs to', () => {
    expect(parseCtState('ESTABLISHED_REPLY src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 SYN_RECV')).toEqual({ ctinfo: 'ESTABLISHED_REPLY', tuple: 'src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2', tcpState: 'SYN_RECV', note: null });
    expect(parseCtState('NEW src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7')).toMatchObject({ ctinfo: 'NEW', tuple: 'src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7', tcpState: null });
    expect(parseCtState('RELATED (icmp error for src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2)')).toMatchObject({ ctinfo: 'RELATED', tuple: 'src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2' });
    expect(parseCtState('invalid: tcp state SYN_SENT does not accept FIN in dir original')).toMatchObject({ ctinfo: 'INVALID', tuple: null });
  });

  it('an INVALID packet is shown as such, without a made-up before/after', () => {
    const s = new RowStore();
    s.add({ frame: 1, tsSec: 0, tsNsec: 0, iface: 'eth0', summary: 'x', record: rec([{ fn: 'nf_conntrack_in', what: 'invalid: tcp_in_window: out of window' }]) });
    const t = buildDetail(s, 0).map((l) => l.map((x) => x.t).join(''));
    expect(t.join('\n')).toMatch(/packet +INVALID +invalid: tcp_in_window/);
    expect(t.join('\n')).not.toMatch(/before|after +/);
  });

  it('an ICMP error related to a connection does not count as its state', () => {
    const s = new RowStore();
    const tu = 'src=10.0.0.2 dst=10.0.0.1 sport=5 dport=53';
    const add = (frame: number, what: string) => s.add({ frame, tsSec: frame, tsNsec: 0, iface: 'eth0', summary: 'x', record: rec([{ fn: 'nf_conntrack_in', what }]) });
    add(1, `NEW ${tu}`);
    add(2, `RELATED_REPLY (icmp error for ${tu})`);
    add(3, `NEW ${tu}`);
    const ct = new CtIndex();
    ct.advance(s);
    expect([...ct.prev.subarray(0, 3)]).toEqual([-1, 0, 0]);
    expect(ctView(s.events(1))!.state!.ctinfo).toBe('RELATED_REPLY');
  });
});
