// Conntrack helpers: `-j CT --helper` assigns the helper to the new connection (xt_ct_target's
// template, init_conntrack -> __nf_ct_try_assign_helper), nf_confirm calls help() before
// confirming, tftp_help turns an RRQ/WRQ into an expectation (reply tuple's src address, any source
// port, to the reply tuple's dst address and port: nf_conntrack_tftp.c), and the expected
// connection's first packet is RELATED (init_conntrack sets IPS_EXPECTED; nf_conntrack_in). FTP:
// conntrack-ftp.test.ts.
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { host, hooks, run, skb4, type Pk } from './helpers.js';
import type { NfConn } from '../../src/kernel/netfilter/nf_conntrack.js';
import { IPS_EXPECTED } from '../../src/kernel/netfilter/nf_conntrack.js';

const RULES = (helper: boolean) => `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${helper ? '-A PREROUTING -p udp -m udp --dport 69 -j CT --helper tftp\n-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp\n' : ''}COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -p udp -m udp --dport 69 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 21 -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A OUTPUT -m helper --helper tftp -j MARK --set-mark 0x69
-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
COMMIT
`;

const bytes = (...parts: (number[] | string)[]) => Uint8Array.from(parts.flatMap((x) => (typeof x === 'string' ? [...x].map((c) => c.charCodeAt(0)) : x)));
/** RFC 1350: opcode 1 (RRQ), filename, NUL, mode, NUL */
const RRQ = bytes([0, 1], 'boot.img', [0], 'octet', [0]);
/** opcode 3 (DATA), block 1 */
const DATA = bytes([0, 3, 0, 1], 'payload');

type Nf = ReturnType<typeof hooks>;
/** a frame from the peer to the host: PREROUTING then INPUT (nf_confirm) */
function inbound(nf: Nf, h: ReturnType<typeof host>, pk: Pk) {
  const skb = skb4(pk);
  const pre = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb, h, 'eth0');
  const inp = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb, h, 'eth0');
  return { skb, pre, inp };
}
/** a frame the host sends: OUTPUT then POSTROUTING (nf_confirm) */
function outbound(nf: Nf, h: ReturnType<typeof host>, pk: Pk) {
  const skb = skb4(pk);
  const out = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_OUT, skb, h, undefined, 'eth0');
  const post = out.verdict === 'accept' ? run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, skb, h, undefined, 'eth0') : null;
  return { skb, out, post };
}

describe('-j CT --helper tftp (nf_conntrack_tftp)', () => {
  it('records the helper, expects the reply on the RRQ, and lets the data from another port in as RELATED', () => {
    const h = host({ iptables: RULES(true) });
    const nf = hooks(h);
    const rrq = inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 40000, dport: 69, inner: RRQ });
    expect([rrq.pre.verdict, rrq.inp.verdict, rrq.pre.unsupported, rrq.inp.unsupported]).toEqual(['accept', 'accept', undefined, undefined]);
    const ct = rrq.skb.ct as NfConn;
    expect(ct.helper).toBe('tftp');
    const ev = rrq.inp.events.map((e) => `${e.fn}: ${e.what}`);
    expect(ev).toContain('nf_confirm: tftp_help: RRQ, expecting src=10.0.0.1 dst=10.0.0.2 sport=any dport=40000');
    expect(ev).toContain('__nf_conntrack_confirm: confirmed src=10.0.0.2 dst=10.0.0.1 sport=40000 dport=69 helper=tftp');
    // the server answers from its own new port (RFC 1350 TID): a new tuple, the expected one
    const data = outbound(nf, h, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 50123, dport: 40000, inner: DATA });
    expect(data.out.verdict).toBe('accept');
    expect(data.out.events.find((e) => e.fn === 'nf_conntrack_in')?.what).toMatch(/^RELATED src=10.0.0.1 dst=10.0.0.2 sport=50123 dport=40000/);
    const dct = data.skb.ct as NfConn;
    expect(dct.status & IPS_EXPECTED).toBe(IPS_EXPECTED);
    expect(dct.master).toBe(ct);
    // -m helper matches the master's helper (helper_mt)
    expect(data.skb.mark).toBe(0x69);
    expect(data.post?.verdict).toBe('accept');
    // the expectation was used up: another new port of the server is NEW, dropped by the policy
    const again = outbound(nf, h, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 50124, dport: 40000, inner: DATA });
    expect(again.out.verdict).toBe('drop');
    // the client's ACK to the data is the expected connection's reply: ESTABLISHED
    const ack = inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 40000, dport: 50123, inner: bytes([0, 4, 0, 1]) });
    expect(ack.inp.verdict).toBe('accept');
  });

  it('without the CT rule (or with a non-request first) nothing is expected: the data is NEW and dropped', () => {
    const h = host({ iptables: RULES(false) });
    const nf = hooks(h);
    inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 40000, dport: 69, inner: RRQ });
    expect(outbound(nf, h, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 50123, dport: 40000, inner: DATA }).out.verdict).toBe('drop');
    const h2 = host({ iptables: RULES(true) });
    const nf2 = hooks(h2);
    // tftp_help: DATA/ACK/ERROR/unknown opcodes create nothing
    inbound(nf2, h2, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 40000, dport: 69, inner: DATA });
    expect(outbound(nf2, h2, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 50123, dport: 40000, inner: DATA }).out.verdict).toBe('drop');
  });

  it('the expectation lasts the helper timeout (5 * 60 s)', () => {
    const h = host({ iptables: RULES(true) });
    const nf = hooks(h);
    inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 40000, dport: 69, inner: RRQ, t: 1_800_000_000 });
    // 301 s later the expectation has timed out (the master's own UDP entry too: 30 s)
    expect(outbound(nf, h, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 50123, dport: 40000, inner: DATA, t: 1_800_000_301 }).out.verdict).toBe('drop');
  });
});

describe('nft ct helper set (nft_ct_helper_obj_eval)', () => {
  const NFT = (l3: string) => `table inet fw {
  ct helper tftp-std {
    type "tftp" protocol udp
    l3proto ${l3}
  }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    udp dport 69 ct helper set "tftp-std"
  }
  chain out {
    type filter hook output priority filter; policy drop;
    ct state established,related accept
  }
}
`;
  it('gives the new connection the helper of the object: the RRQ expects the data, which leaves as RELATED', () => {
    const h = host({ nft: NFT('ip') });
    const nf = hooks(h);
    const rrq = inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 40000, dport: 69, inner: RRQ });
    expect([rrq.pre.unsupported, rrq.inp.unsupported, (rrq.skb.ct as NfConn).helper]).toEqual([undefined, undefined, 'tftp']);
    const data = outbound(nf, h, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 50123, dport: 40000, inner: DATA });
    expect(data.out.verdict).toBe('accept');
    expect((data.skb.ct as NfConn).status & IPS_EXPECTED).toBe(IPS_EXPECTED);
  });

  it('an l3proto ip6 object assigns nothing to an IPv4 connection (helper6 only)', () => {
    const h = host({ nft: NFT('ip6') });
    const nf = hooks(h);
    const rrq = inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 40000, dport: 69, inner: RRQ });
    expect((rrq.skb.ct as NfConn).helper).toBeUndefined();
    expect(outbound(nf, h, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 50123, dport: 40000, inner: DATA }).out.verdict).toBe('drop');
  });
});
