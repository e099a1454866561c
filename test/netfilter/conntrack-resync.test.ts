// tcp_packet's TCP_CONNTRACK_IGNORE case (net/netfilter/nf_conntrack_proto_tcp.c): a SYN in the
// original direction on an established entry is ignored and annotated (last_index, last_dir,
// last_end, last_win, its window scale); "b) This SYN/ACK acknowledges a SYN that we earlier ignored
// as invalid" re-syncs the entry to SYN_RECV only when the SYN/ACK comes from the other direction,
// the ignored packet was a SYN and the SYN/ACK acknowledges exactly its end. Every other ignored
// packet leaves the entry as it was. States from tcp_conntracks: ORIGINAL syn in ESTABLISHED -> sIG,
// REPLY synack in ESTABLISHED -> sIG, ORIGINAL synack in ESTABLISHED -> sIG.
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { ES, SR, TCP_STATE_NAMES, type NfConn } from '../../src/kernel/netfilter/nf_conntrack.js';
import { host, hooks, run, skb4 } from './helpers.js';

const RULES = `table inet m {
	chain i {
		type filter hook input priority 0; policy accept;
		ct state invalid counter
	}
}
`;

function conn() {
  const h = host({ nft: RULES });
  const nf = hooks(h);
  let t = 1_800_000_000;
  /** from the client 10.0.0.2:41000 to the host's :80 (prerouting, input) */
  const c = (flags: string, seq: number, ack = 0, win = 64240) => {
    const skb = skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 41000, dport: 80, flags, seq, ack, win, t: t++ });
    const pre = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb, h, 'eth0');
    run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb, h, 'eth0');
    return { ct: skb.ct as NfConn | null, what: pre.events.find((e) => e.fn === 'nf_conntrack_in')?.what ?? '' };
  };
  /** from the host's :80 to the client (output, postrouting) */
  const s = (flags: string, seq: number, ack = 0, win = 65160) => {
    const skb = skb4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 80, dport: 41000, flags, seq, ack, win, t: t++ });
    const out = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_OUT, skb, h, undefined, 'eth0');
    run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, skb, h, undefined, 'eth0');
    return { ct: skb.ct as NfConn | null, what: out.events.find((e) => e.fn === 'nf_conntrack_in')?.what ?? '' };
  };
  const syn = c('S', 1000);
  s('SA', 5000, 1001);
  c('A', 1001, 5001);
  const ct = syn.ct!;
  expect(TCP_STATE_NAMES[ct.tcpState]).toBe('ESTABLISHED');
  return { c, s, ct };
}

describe('tcp_packet TCP_CONNTRACK_IGNORE: the re-sync of an entry out of step', () => {
  it('a new SYN on an established entry is ignored; the SYN/ACK acknowledging it re-syncs the entry to SYN_RECV, the ACK to ESTABLISHED', () => {
    const { c, s, ct } = conn();
    // the client restarted: a new ISN 90000 (the peers are in sync, the firewall is not)
    const syn = c('S', 90000);
    expect([syn.ct, ct.tcpState]).toEqual([ct, ES]);
    // last_end = 90000 + 1 (segment_seq_plus_len: the SYN counts one)
    const sa = s('SA', 70000, 90001);
    expect([sa.ct, TCP_STATE_NAMES[ct.tcpState]]).toEqual([ct, 'SYN_RECV']);
    expect(ct.tcpState).toBe(SR);
    // the annotated SYN's values are the original side's (td_end, td_maxend from last_end; td_maxwin from last_win)
    expect([ct.seen[0].end, ct.seen[0].maxwin]).toEqual([90001, 64240]);
    const ack = c('A', 90001, 70001);
    expect([ack.ct, TCP_STATE_NAMES[ct.tcpState]]).toEqual([ct, 'ESTABLISHED']);
  });

  it('a SYN/ACK that acknowledges something else is ignored: the entry stays ESTABLISHED', () => {
    const { c, s, ct } = conn();
    c('S', 90000);
    s('SA', 70000, 90002);
    expect(TCP_STATE_NAMES[ct.tcpState]).toBe('ESTABLISHED');
    // the old connection goes on in window
    expect(c('A', 1001, 5001).ct).toBe(ct);
  });

  it('a SYN/ACK from the same direction as the ignored SYN does not re-sync (last_dir != dir)', () => {
    const { c, ct } = conn();
    c('S', 90000);
    c('SA', 70000, 90001);
    expect(TCP_STATE_NAMES[ct.tcpState]).toBe('ESTABLISHED');
  });

  it('a SYN/ACK after an ignored packet that was not a SYN (last_index != TCP_SYN_SET) does not re-sync', () => {
    const { c, s, ct } = conn();
    // ORIGINAL synack in ESTABLISHED: ignored, annotated with index SYNACK and end 70001
    c('SA', 70000, 5001);
    s('SA', 80000, 70001);
    expect(TCP_STATE_NAMES[ct.tcpState]).toBe('ESTABLISHED');
  });

  it('a SYN with a zero window annotates last_win 0, taken as td_maxwin 1 at the re-sync', () => {
    const { c, s, ct } = conn();
    c('S', 90000, 0, 0);
    s('SA', 70000, 90001);
    expect(TCP_STATE_NAMES[ct.tcpState]).toBe('SYN_RECV');
    expect(ct.seen[0].maxwin).toBe(1);
  });
});
