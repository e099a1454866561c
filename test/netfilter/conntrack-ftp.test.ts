// The FTP conntrack helper (src/kernel/netfilter/nf_conntrack_ftp.ts), each expectation derived from
// net/netfilter/nf_conntrack_ftp.c help() and nf_conntrack_expect.c as cited in each test; the
// forwarded case is checked against the kernel in fixtures/kernel/ct-helper-ftp (74 frames, IPv4 and IPv6).
// The host here is the FTP server 10.0.0.1, the client 10.0.0.2.
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { host, hooks, run, skb4, skb6, type Pk } from './helpers.js';
import type { NfConn } from '../../src/kernel/netfilter/nf_conntrack.js';
import { IPS_EXPECTED } from '../../src/kernel/netfilter/nf_conntrack.js';

const RULES = (nat = '') => `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp
COMMIT
${nat}*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -p tcp -m tcp --dport 21 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 2121 -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A OUTPUT -m conntrack --ctstate RELATED -j MARK --set-mark 0x21
-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
COMMIT
`;

const bytes = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
type Nf = ReturnType<typeof hooks>;
type H = ReturnType<typeof host>;

/** a frame from the client: PREROUTING then INPUT (nf_confirm there) */
function inbound(nf: Nf, h: H, pk: Pk) {
  const skb = skb4(pk);
  const pre = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb, h, 'eth0');
  const inp = pre.verdict === 'accept' ? run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb, h, 'eth0') : pre;
  return { skb, pre, inp, events: [...pre.events, ...(inp === pre ? [] : inp.events)].map((e) => `${e.fn}: ${e.what}`) };
}
/** a frame the host sends: OUTPUT then POSTROUTING (nf_confirm there) */
function outbound(nf: Nf, h: H, pk: Pk) {
  const skb = skb4(pk);
  const out = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_OUT, skb, h, undefined, 'eth0');
  const post = out.verdict === 'accept' ? run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, skb, h, undefined, 'eth0') : out;
  return { skb, out, post, events: [...out.events, ...(post === out ? [] : post.events)].map((e) => `${e.fn}: ${e.what}`) };
}

/** a control connection, handshake done and one line each way (the first data of a direction is never read) */
function control(nf: Nf, h: H, opts: { srvPort?: number; t?: number } = {}) {
  const port = 21, srvPort = opts.srvPort ?? 21;
  let cseq = 1000, sseq = 5000, t = opts.t ?? 1_800_000_000;
  const c = (flags: string, data = '') => {
    const r = inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 41000, dport: port, flags, seq: cseq, ack: flags === 'S' ? 0 : sseq, inner: data ? bytes(data) : undefined, t: t++ });
    cseq += data.length + (flags.includes('S') ? 1 : 0);
    return r;
  };
  const s = (flags: string, data = '') => {
    const r = outbound(nf, h, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: srvPort, dport: 41000, flags, seq: sseq, ack: cseq, inner: data ? bytes(data) : undefined, t: t++ });
    sseq += data.length + (flags.includes('S') ? 1 : 0);
    return r;
  };
  const syn = c('S');
  s('SA');
  c('A');
  s('PA', '220 ready\r\n');
  c('PA', 'USER anonymous\r\n');
  return { c, s, ct: syn.skb.ct as NfConn, now: () => t, at: (v: number) => void (t = v), retract: (n: number) => void (cseq -= n) };
}

/** the server's data connection from port 20 (active mode) */
const activeSyn = (nf: Nf, h: H, dport: number, t?: number, sport = 20) => outbound(nf, h, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport, dport, flags: 'S', seq: 9000, t });

describe('nf_conntrack_ftp help(): PORT, EPRT, 227, 229 expect the data connection', () => {
  it('PORT from the client: expects server:any -> client:port; the data SYN is RELATED with its master, once', () => {
    const h = host({ iptables: RULES() });
    const nf = hooks(h);
    const k = control(nf, h);
    const port = k.c('PA', 'PORT 10,0,0,2,156,65\r\n');
    expect([port.inp.verdict, port.inp.unsupported]).toEqual(['accept', undefined]);
    // nf_ct_expect_init(exp, ..., &tuplehash[!dir].src.u3 (server), &tuplehash[!dir].dst.u3 (client), TCP, NULL (any sport), &port)
    expect(port.events).toContain('nf_confirm: ftp: PORT, expecting src=10.0.0.1 dst=10.0.0.2 sport=any dport=40001');
    const data = activeSyn(nf, h, 40001);
    expect(data.post.verdict).toBe('accept');
    expect(data.skb.mark).toBe(0x21); // --ctstate RELATED matched
    const dct = data.skb.ct as NfConn;
    expect([dct.status & IPS_EXPECTED, dct.master]).toEqual([IPS_EXPECTED, k.ct]);
    expect(data.events.find((e) => e.startsWith('nf_conntrack_in'))).toBe('nf_conntrack_in: RELATED src=10.0.0.1 dst=10.0.0.2 sport=20 dport=40001 SYN_SENT master=[src=10.0.0.2 dst=10.0.0.1 sport=41000 dport=21 helper=ftp]');
    // nf_ct_find_expectation unlinks it (no NF_CT_EXPECT_PERMANENT): a second SYN from another port is NEW
    expect(activeSyn(nf, h, 40001, undefined, 2020).out.verdict).toBe('drop');
  });

  it('227 and 229 replies from the server expect client:any -> server:port (the address of 229 is the server\'s)', () => {
    const h = host({ iptables: RULES() });
    const nf = hooks(h);
    const k = control(nf, h);
    k.c('PA', 'PASV\r\n');
    const pasv = k.s('PA', '227 Entering Passive Mode (10,0,0,1,195,80)\r\n');
    expect(pasv.events).toContain('nf_confirm: ftp: 227, expecting src=10.0.0.2 dst=10.0.0.1 sport=any dport=50000');
    const in1 = inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 40100, dport: 50000, flags: 'S' });
    expect([in1.inp.verdict, (in1.skb.ct as NfConn).master]).toEqual(['accept', k.ct]);
    k.c('PA', 'EPSV\r\n');
    const epsv = k.s('PA', '229 Entering Extended Passive Mode (|||50100|)\r\n');
    expect(epsv.events).toContain('nf_confirm: ftp: 229, expecting src=10.0.0.2 dst=10.0.0.1 sport=any dport=50100');
    expect(inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 40101, dport: 50100, flags: 'S' }).inp.verdict).toBe('accept');
    // a port nobody announced is NEW: the INPUT policy drops it
    expect(inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 40102, dport: 50101, flags: 'S' }).inp.verdict).toBe('drop');
  });

  it('EPRT |1| is read on IPv4; EPRT |2| on an IPv4 connection fails try_eprt: "partial matching", NF_DROP', () => {
    const h = host({ iptables: RULES() });
    const nf = hooks(h);
    const k = control(nf, h);
    expect(k.c('PA', 'EPRT |1|10.0.0.2|40200|\r\n').events).toContain('nf_confirm: ftp: EPRT, expecting src=10.0.0.1 dst=10.0.0.2 sport=any dport=40200');
    const bad = k.c('PA', 'EPRT |2|::1|40201|\r\n');
    expect([bad.inp.verdict, bad.inp.reason]).toEqual(['drop', 'NETFILTER_DROP']);
    expect(bad.events).toContain("nf_confirm: nf_conntrack_ftp: partial matching of `EPRT': NF_DROP");
  });

  it('a 229 with port 0 (get_port refuses it) or a PORT without its \\r terminator is dropped; its newline is not recorded', () => {
    const h = host({ iptables: RULES() });
    const nf = hooks(h);
    const k = control(nf, h);
    k.c('PA', 'EPSV\r\n');
    expect(k.s('PA', '229 Entering Extended Passive Mode (|||0|)\r\n').post.verdict).toBe('drop');
    const line = 'PORT 10,0,0,2,156,70\n';
    expect(k.c('PA', line).inp.verdict).toBe('drop');
    // "goto out" skips update_nl_seq: data after the dropped line's end is not at a known line start
    expect(k.c('PA', 'PORT 10,0,0,2,156,71\r\n').events.some((e) => e.includes('expecting'))).toBe(false);
    expect(activeSyn(nf, h, 40006).out.verdict).toBe('drop');
  });

  it('EPRT |2| on an IPv6 connection expects the IPv6 data connection', () => {
    const RULES6 = `*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\nCOMMIT\n`;
    const h = host({ ip6tables: RULES6 });
    const nf = hooks(h);
    const C = 'fd00::2', S = 'fd00::1';
    let cseq = 1000, sseq = 5000;
    const c = (flags: string, data = '') => {
      const skb = skb6({ src: C, dst: S, proto: 'tcp', sport: 41000, dport: 21, flags, seq: cseq, ack: flags === 'S' ? 0 : sseq, inner: data ? bytes(data) : undefined });
      run(nf, NFPROTO_IPV6, NF_INET_PRE_ROUTING, skb, h, 'eth0');
      cseq += data.length + (flags.includes('S') ? 1 : 0);
      return run(nf, NFPROTO_IPV6, NF_INET_LOCAL_IN, skb, h, 'eth0');
    };
    const s = (flags: string, data = '') => {
      const skb = skb6({ src: S, dst: C, proto: 'tcp', sport: 21, dport: 41000, flags, seq: sseq, ack: cseq, inner: data ? bytes(data) : undefined });
      expect(run(nf, NFPROTO_IPV6, NF_INET_LOCAL_OUT, skb, h, undefined, 'eth0').verdict).toBe('accept');
      sseq += data.length + (flags.includes('S') ? 1 : 0);
      return run(nf, NFPROTO_IPV6, NF_INET_POST_ROUTING, skb, h, undefined, 'eth0');
    };
    c('S'), s('SA'), c('A'), s('PA', '220 ready\r\n'), c('PA', 'USER x\r\n');
    const eprt = c('PA', 'EPRT |2|fd00::2|40300|\r\n');
    expect(eprt.events.map((e) => e.what)).toContain('ftp: EPRT, expecting src=fd00::1 dst=fd00::2 sport=any dport=40300');
    const data = skb6({ src: S, dst: C, proto: 'tcp', sport: 20, dport: 40300, flags: 'S' });
    expect(run(nf, NFPROTO_IPV6, NF_INET_LOCAL_OUT, data, h, undefined, 'eth0').verdict).toBe('accept');
    expect((data.ct as NfConn).status & IPS_EXPECTED).toBe(IPS_EXPECTED);
  });

  it('an address other than the sender\'s is not recorded (loose=0); a second PORT evicts the first (max_expected 1)', () => {
    const h = host({ iptables: RULES() });
    const nf = hooks(h);
    const k = control(nf, h);
    const other = k.c('PA', 'PORT 10,0,0,99,156,65\r\n');
    expect([other.inp.verdict, other.events.some((e) => e.includes('NOT RECORDING'))]).toEqual(['accept', true]);
    expect(activeSyn(nf, h, 40001).out.verdict).toBe('drop');
    k.c('PA', 'PORT 10,0,0,2,157,1\r\n'); // 40193
    k.c('PA', 'PORT 10,0,0,2,157,11\r\n'); // 40203: evict_oldest_expect takes 40193
    expect(activeSyn(nf, h, 40193).out.verdict).toBe('drop');
    expect(activeSyn(nf, h, 40203).out.verdict).toBe('accept');
  });

  it('the expectation lasts ftp_exp_policy.timeout (5 * 60 s) of capture time', () => {
    const h = host({ iptables: RULES() });
    const nf = hooks(h);
    const k = control(nf, h);
    k.c('PA', 'PORT 10,0,0,2,156,65\r\n'); // 40001 at now - 1
    k.c('PA', 'PORT 10,0,0,2,156,66\r\n'); // replaces it (max_expected 1): 40002 at t0
    const t0 = k.now() - 1;
    // the server answers and the client acknowledges it: no data left unacknowledged on the control
    // connection, else nf_conntrack_tcp_timeout_unacknowledged (300 s) would end it before t0 + 302
    k.s('PA', '200 PORT command successful\r\n');
    k.c('A');
    expect(activeSyn(nf, h, 40002, t0 + 301).out.verdict).toBe('drop');
    k.at(t0 + 302);
    k.c('PA', 'PORT 10,0,0,2,156,67\r\n'); // 40003 at t0 + 302
    expect(activeSyn(nf, h, 40003, t0 + 302 + 299).out.verdict).toBe('accept');
  });
});

describe('nf_conntrack_ftp help(): only data just after a newline it saw is read (find_nl_seq)', () => {
  it('a PORT as the client\'s first data, or after a segment not ending in a newline, is not read', () => {
    const h = host({ iptables: RULES() });
    const nf = hooks(h);
    const c = { src: '10.0.0.2', dst: '10.0.0.1', sport: 41000, dport: 21, proto: 'tcp' as const };
    const s = { src: '10.0.0.1', dst: '10.0.0.2', sport: 21, dport: 41000, proto: 'tcp' as const };
    inbound(nf, h, { ...c, flags: 'S', seq: 1000 });
    outbound(nf, h, { ...s, flags: 'SA', seq: 5000, ack: 1001 });
    inbound(nf, h, { ...c, flags: 'A', seq: 1001, ack: 5001 });
    const port = bytes('PORT 10,0,0,2,160,1\r\n');
    const expecting = (r: { events: string[] }) => r.events.some((e) => e.includes('expecting'));
    // first data of the direction: no seq_aft_nl yet, "wrong seq pos": only its newline is recorded
    expect(expecting(inbound(nf, h, { ...c, flags: 'PA', seq: 1001, ack: 5001, inner: port }))).toBe(false);
    const part = bytes('NOOP');
    let seq = 1001 + port.length;
    // after a newline: read (NOOP is no command it searches for), then a segment without '\n'
    expect(inbound(nf, h, { ...c, flags: 'PA', seq, ack: 5001, inner: part }).inp.verdict).toBe('accept');
    seq += part.length;
    expect(expecting(inbound(nf, h, { ...c, flags: 'PA', seq, ack: 5001, inner: port }))).toBe(false);
    seq += port.length;
    // that one ended in '\n': the next PORT is read
    expect(expecting(inbound(nf, h, { ...c, flags: 'PA', seq, ack: 5001, inner: port }))).toBe(true);
  });

  it('a command cut short ("POR") is dropped; the retransmission of the whole line at the same seq is read', () => {
    const h = host({ iptables: RULES() });
    const nf = hooks(h);
    const k = control(nf, h);
    const cut = k.c('PA', 'POR');
    expect([cut.inp.verdict, cut.inp.reason]).toEqual(['drop', 'NETFILTER_DROP']);
    k.retract(3);
    expect(k.c('PA', 'PORT 10,0,0,2,156,80\r\n').events).toContain('nf_confirm: ftp: PORT, expecting src=10.0.0.1 dst=10.0.0.2 sport=any dport=40016');
  });
});

describe('nf_nat_ftp (a NATed control connection) is not modelled: reported unsupported', () => {
  it('the command packet and the data connection it opens carry the note', () => {
    const nat = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 21 -j REDIRECT --to-ports 2121\nCOMMIT\n`;
    const h = host({ iptables: RULES(nat) });
    const nf = hooks(h);
    // the server socket listens on 2121: its replies leave from there and are un-NATed to 21
    const k = control(nf, h, { srvPort: 2121 });
    expect(k.ct.status & 32).toBe(32); // IPS_DST_NAT
    const port = k.c('PA', 'PORT 10,0,0,2,156,65\r\n');
    expect(port.inp.unsupported).toEqual([expect.stringMatching(/nf_nat_ftp/)]);
    const data = activeSyn(nf, h, 40001);
    expect(data.out.unsupported).toEqual([expect.stringMatching(/nf_nat_ftp/)]);
  });
});

describe('nft ct helper set "OBJ" of type ftp (nft_ct_helper_obj_eval needs the conntrack entry)', () => {
  const NFT = (prio: string) => `table inet fw {
  ct helper ftp-std {
    type "ftp" protocol tcp
    l3proto inet
  }
  chain pre {
    type filter hook prerouting priority ${prio}; policy accept;
    tcp dport 21 ct helper set "ftp-std"
  }
}
`;
  it('`ct helper "ftp"` matches the connections the helper expected (the master\'s helper), not the control connection', () => {
    const h = host({ nft: NFT('filter').replace(/}\n$/, `  chain out {\n    type filter hook output priority filter; policy accept;\n    ct helper "ftp" meta mark set 0x21\n  }\n}\n`) });
    const nf = hooks(h);
    const k = control(nf, h);
    expect(k.s('PA', '331 ok\r\n').skb.mark).toBe(0);
    k.c('PA', 'PORT 10,0,0,2,156,65\r\n');
    expect(activeSyn(nf, h, 40001).skb.mark).toBe(0x21);
    expect(activeSyn(nf, h, 40002).skb.mark).toBe(0);
  });

  it('after conntrack (priority filter) the control connection gets the helper; at priority raw (-300, before nf_conntrack_in at -200) nothing, as the kernel did while ct-helper-ftp was first recorded', () => {
    for (const [prio, helper] of [['filter', 'ftp'], ['raw', undefined]] as const) {
      const h = host({ nft: NFT(prio) });
      const nf = hooks(h);
      const syn = inbound(nf, h, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 41000, dport: 21, flags: 'S', seq: 1000 });
      expect((syn.skb.ct as NfConn).helper, prio).toBe(helper);
    }
  });
});
