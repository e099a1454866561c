// The xtables evaluators (src/kernel/netfilter/xt_match.ts, xt_target.ts) on rule sets read from
// iptables-save text and frames run through the hooks. Expected values are derived from the
// kernel functions named in each test (net/netfilter/xt_*.c, net/ipv6/netfilter/ip6t_*.c,
// net/ipv4/fib_frontend.c), the derivation written next to the assertion.
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { writeEthHdr, writeIpv4Hdr, writeIpv6Hdr, writeTcpHdr, fillL4ChecksumV4 } from '../../src/packet/build.js';
import { l4CsumV4, ipFastCsum } from '../../src/packet/checksum.js';
import { parseIPv4, parseIPv6 } from '../../src/kernel/netfilter/ir.js';
import { dev, host, hooks, run, skb4, type Pk } from './helpers.js';

const ipt = (filter: string, extra = '') => `${extra}*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${filter}\nCOMMIT\n`;
const MAC = new Uint8Array([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
const b6 = (s: string) => Uint8Array.from(parseIPv6(s)!, (c) => c.charCodeAt(0));

/** Ethernet + IPv6 + extension headers + an ICMPv6 header */
function frame6(o: { src: string; dst: string; hlim: number; ext?: { type: number; body: number[] }[]; icmpType: number; tclass?: number; t?: number }): SkBuff {
  const exts = o.ext ?? [];
  const extLen = exts.reduce((a, e) => a + 2 + e.body.length, 0);
  const len = 14 + 40 + extLen + 8;
  const b = new Uint8Array(len);
  writeEthHdr(b, 0, MAC, 0, MAC, 6, 0x86dd);
  writeIpv6Hdr(b, 14, o.tclass ?? 0, 0, extLen + 8, exts.length ? exts[0]!.type : 58, o.hlim, b6(o.src), 0, b6(o.dst), 0);
  let off = 54;
  exts.forEach((e, i) => {
    b[off] = i + 1 < exts.length ? exts[i + 1]!.type : 58;
    b[off + 1] = (2 + e.body.length) / 8 - 1;
    b.set(e.body, off + 2);
    off += 2 + e.body.length;
  });
  b[off] = o.icmpType;
  const skb = new SkBuff(b, len);
  skb.mac_header = 0; skb.network_header = 14; skb.protocol = 0x86dd;
  skb.tstampSec = o.t ?? 1_700_000_000;
  return skb;
}

/** a TCP SYN with an MSS option (and a valid checksum) */
function synMss(mss: number, t = 1_700_000_000): SkBuff {
  const len = 14 + 20 + 24;
  const b = new Uint8Array(len);
  writeEthHdr(b, 0, MAC, 0, MAC, 6, 0x0800);
  const s = parseIPv4('192.0.2.7')!, d = parseIPv4('10.0.0.9')!;
  writeIpv4Hdr(b, 14, 0, 44, 1, 0x4000, 64, 6, s, d);
  writeTcpHdr(b, 34, 40000, 443, 1000, 0, 2, 64240);
  b[34 + 12] = 6 << 4; // doff 6: 4 bytes of options
  b.set([2, 4, mss >> 8, mss & 0xff], 54);
  fillL4ChecksumV4(b, 34, 24, 6, s, d);
  const skb = new SkBuff(b, len);
  skb.mac_header = 0; skb.network_header = 14; skb.transport_header = 34; skb.protocol = 0x0800;
  skb.tstampSec = t;
  return skb;
}

describe('ufw IPv6 rules: -m rt and -m hl are evaluated (ip6t_rt.c rt_mt6, xt_hl.c hl_mt6)', () => {
  const rules = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:ufw6-before-input - [0:0]\n-A INPUT -j ufw6-before-input\n'
    + '-A ufw6-before-input -m rt --rt-type 0 -j DROP\n'
    + '-A ufw6-before-input -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT\nCOMMIT\n';
  const h = host({ ip6tables: rules }, [dev(1, 'lo', ['::1/128'], 'loopback'), dev(2, 'eth0', ['2001:db8::1/64'])]);
  const nf = hooks(h);
  const go = (s: SkBuff) => run(nf, NFPROTO_IPV6, NF_INET_LOCAL_IN, s, h, 'eth0');
  it('drops a type 0 routing header, reads segments-left past a hop-by-hop header, accepts NS only at hop limit 255', () => {
    // rt_mt6: ipv6_find_hdr(NEXTHDR_ROUTING) walks hop-by-hop first; rt_type == rh->type
    const rh0 = { type: 43, body: [0, 1, 0, 0, 0, 0] }; // routing type 0, segments left 1
    const hbh = { type: 0, body: [1, 4, 0, 0, 0, 0] }; // PadN
    expect(go(frame6({ src: '2001:db8::2', dst: '2001:db8::1', hlim: 255, ext: [hbh, rh0], icmpType: 135 })).verdict).toBe('drop');
    // type 2 (mobile IPv6) is not type 0: falls through to the NS rule
    expect(go(frame6({ src: '2001:db8::2', dst: '2001:db8::1', hlim: 255, ext: [{ type: 43, body: [2, 1, 0, 0, 0, 0] }], icmpType: 135 })).verdict).toBe('accept');
    // hl_mt6 HL_EQ: hop_limit == 255; a routed NS (254) ends in the DROP policy
    expect(go(frame6({ src: '2001:db8::2', dst: '2001:db8::1', hlim: 255, icmpType: 135 })).verdict).toBe('accept');
    const r = go(frame6({ src: '2001:db8::2', dst: '2001:db8::1', hlim: 254, icmpType: 135 }));
    expect(r.verdict).toBe('drop');
    expect(r.unsupported).toBeFalsy();
    expect((nf as unknown as { unsupported: string[] }).unsupported).toEqual([]);
  });
});

describe('addrtype (xt_addrtype.c addrtype_mt_v1 -> inet_dev_addr_type on the local table fib_add_ifaddr builds)', () => {
  const h = host({ iptables: ipt('-A INPUT -m addrtype --dst-type BROADCAST -j DROP\n-A INPUT -m addrtype --dst-type MULTICAST -j REJECT\n-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT\n-A INPUT -m addrtype ! --dst-type UNICAST -j LOG\n-A INPUT -j RETURN') },
    [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['192.0.2.1/24'])]);
  const nf = hooks(h);
  const v = (dst: string, inDev = 'eth0') => {
    const r = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.1.9', dst, proto: 'udp', dport: 9 }), h, inDev);
    return `${r.verdicts.at(-1)!.verdict}${r.events.some((e) => e.fn === 'nf_log_packet') ? '+log' : ''}`;
  };
  it('subnet-directed broadcast 10.0.1.255 of 10.0.1.0/24 is BROADCAST, 0.0.0.0/8 too; 224/4 MULTICAST', () => {
    // fib_add_ifaddr: prefixlen < 31 -> fib_magic(RTN_BROADCAST, prefix | ~mask); __inet_dev_addr_type: zeronet/lbcast -> BROADCAST
    expect(v('10.0.1.255')).toBe('drop');
    expect(v('255.255.255.255')).toBe('drop');
    expect(v('0.0.0.0')).toBe('drop');
    expect(v('224.0.0.1')).toBe('drop'); // REJECT ends in drop
    // 10.0.1.254 is a unicast neighbour, 192.0.2.255 the broadcast of eth1's subnet
    expect(v('10.0.1.254')).toBe('accept');
    expect(v('192.0.2.255')).toBe('drop');
  });
  it('--limit-iface-in: an address of another device is UNICAST (res.type only when nhc_dev == dev)', () => {
    expect(v('10.0.1.1', 'eth0')).toBe('accept'); // LOCAL on eth0: the ACCEPT rule, no log
    // arriving on eth1 the address is UNICAST for rule 3; rule 4 (no device limit) sees LOCAL, not UNICAST: logged
    expect(v('10.0.1.1', 'eth1')).toBe('accept+log');
    // 127.0.0.5: lo's prefix route 127.0.0.0/8 is RTN_LOCAL (IFF_LOOPBACK, fib_add_ifaddr) on lo, so UNICAST for eth0
    expect(v('127.0.0.5', 'eth0')).toBe('accept+log');
    expect(v('127.0.0.5', 'lo')).toBe('accept');
  });
});

describe('recent (xt_recent.c recent_mt)', () => {
  const rules = ipt('-A INPUT -p tcp --dport 22 -m recent --set --name SSH --rsource\n-A INPUT -p tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name SSH --rsource -j DROP\n-A INPUT -p tcp --dport 22 -j ACCEPT');
  it('the 4th packet within 60 s is dropped (--set stamps first, --update counts hits >= hitcount), a minute of silence resets', () => {
    const h = host({ iptables: rules });
    const nf = hooks(h);
    const at = (src: string, t: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.1', proto: 'tcp', dport: 22, t }), h, 'eth0').verdict;
    expect([at('192.0.2.5', 100), at('192.0.2.5', 110), at('192.0.2.5', 120), at('192.0.2.5', 130)]).toEqual(['accept', 'accept', 'accept', 'drop']);
    // another source has its own entry
    expect(at('192.0.2.6', 131)).toBe('accept');
    // --update refreshed the stamp at 130 (ret true): at 191 only 130 and 191 are within 60 s -> 2 hits
    expect(at('192.0.2.5', 191)).toBe('accept');
  });
});

describe('hashlimit (xt_hashlimit.c hashlimit_mt, rateinfo_recalc)', () => {
  it('per-source buckets of burst 2 refilled at 1/s', () => {
    const h = host({ iptables: ipt('-A INPUT -p udp -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name t -j ACCEPT\n-A INPUT -p udp -j DROP') });
    const nf = hooks(h);
    const at = (src: string, t: number, ns = 0) => { const s = skb4({ src, dst: '10.0.0.1', proto: 'udp', dport: 53, t }); s.tstampNsec = ns; return run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, s, h, 'eth0').verdict; };
    // a new entry starts with credit = cost * burst; each packet costs one
    expect([at('192.0.2.1', 10), at('192.0.2.1', 10), at('192.0.2.1', 10)]).toEqual(['accept', 'accept', 'drop']);
    expect(at('192.0.2.2', 10)).toBe('accept');
    // 0.5 s refills half a token: still over; at 11.0 one token is back
    expect(at('192.0.2.1', 10, 500_000_000)).toBe('drop');
    expect(at('192.0.2.1', 11)).toBe('accept');
    expect(at('192.0.2.1', 11)).toBe('drop');
  });
});

describe('statistic --mode nth (xt_statistic.c statistic_mt)', () => {
  it('--every 3 --packet 1 matches the 2nd, 5th, 8th packet; ! inverts', () => {
    // libxt_statistic: every-1 = 2, count = every-1-packet = 1; per packet count = count == 2 ? 0 : count + 1, match at 0
    const h = host({ iptables: ipt('-A INPUT -m statistic --mode nth --every 3 --packet 1 -j DROP\n-A FORWARD -m statistic --mode nth ! --every 3 --packet 0 -j DROP') });
    const nf = hooks(h);
    const seq = (hook: number) => Array.from({ length: 8 }, (_, i) => run(nf, NFPROTO_IPV4, hook, skb4({ src: '192.0.2.1', dst: '10.0.0.1', proto: 'udp', t: i }), h, 'eth0', hook === NF_INET_FORWARD ? 'eth1' : undefined).verdict === 'drop' ? 1 : 0);
    expect(seq(NF_INET_LOCAL_IN)).toEqual([0, 1, 0, 0, 1, 0, 0, 1]);
    // packet 0: count starts at 2 -> the 1st, 4th, 7th match; inverted: all others
    expect(seq(NF_INET_FORWARD)).toEqual([0, 1, 1, 0, 1, 1, 0, 1]);
  });
  it('--mode random is decided only for probability 0 or 1', () => {
    const h = host({ iptables: ipt('-A INPUT -m statistic --mode random --probability 1 -j DROP') });
    expect(run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '192.0.2.1', dst: '10.0.0.1', proto: 'udp' }), h, 'eth0').verdict).toBe('drop');
    const h2 = host({ iptables: ipt('-A INPUT -m statistic --mode random --probability 0.5 -j DROP') });
    expect(run(hooks(h2), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '192.0.2.1', dst: '10.0.0.1', proto: 'udp' }), h2, 'eth0').unsupported).toBeTruthy();
  });
});

describe('time (xt_time.c time_mt on the capture time, UTC)', () => {
  it('working hours on Mondays; a range past midnight wraps', () => {
    const h = host({ iptables: ipt('-A INPUT -m time --timestart 09:00 --timestop 17:00 --weekdays Mon -j DROP\n-A FORWARD -m time --timestart 22:00 --timestop 02:00 -j DROP') });
    const nf = hooks(h);
    const at = (iso: string, hook = NF_INET_LOCAL_IN) => run(nf, NFPROTO_IPV4, hook, skb4({ src: '192.0.2.1', dst: '10.0.0.1', proto: 'udp', t: Date.parse(iso) / 1000 }), h, 'eth0', hook === NF_INET_FORWARD ? 'eth1' : undefined).verdict;
    // 2023-11-13 was a Monday (localtime_2: weekday = (4 + days since 1970-01-01 - 1) % 7 + 1)
    expect(at('2023-11-13T10:00:00Z')).toBe('drop');
    expect(at('2023-11-13T17:00:00Z')).toBe('drop'); // timestop is inclusive (packet_time > stop fails)
    expect(at('2023-11-13T17:00:01Z')).toBe('accept');
    expect(at('2023-11-14T10:00:00Z')).toBe('accept');
    expect(at('2023-11-14T23:30:00Z', NF_INET_FORWARD)).toBe('drop');
    expect(at('2023-11-14T01:59:59Z', NF_INET_FORWARD)).toBe('drop');
    expect(at('2023-11-14T12:00:00Z', NF_INET_FORWARD)).toBe('accept');
  });
});

describe('payload matches', () => {
  const h = host({ iptables: ipt(
    '-A INPUT -m u32 --u32 "6&0xFF=6 && 0>>22&0x3C@0&0xFFFF=80" -j DROP\n'
    + '-A FORWARD -m string --string "GET /" --algo bm -j DROP\n'
    + '-A OUTPUT -m length --length 0:40 -j DROP') });
  const nf = hooks(h);
  it('u32 (xt_u32.c u32_match_it): protocol byte, then the header length from IHL and @ to the TCP destination port', () => {
    const t = (dport: number, proto: Pk['proto'] = 'tcp') => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '192.0.2.1', dst: '10.0.0.1', proto, dport }), h, 'eth0').verdict;
    expect(t(80)).toBe('drop');
    expect(t(81)).toBe('accept');
    expect(t(80, 'udp')).toBe('accept');
  });
  it('string (xt_string.c): found in the payload', () => {
    const inner = new TextEncoder().encode('GET / HTTP/1.1\r\n');
    const t = (payload: Uint8Array) => run(nf, NFPROTO_IPV4, NF_INET_FORWARD, skb4({ src: '192.0.2.1', dst: '10.0.0.1', proto: 'tcp', dport: 80, inner: payload }), h, 'eth0', 'eth1').verdict;
    expect(t(inner)).toBe('drop');
    expect(t(new TextEncoder().encode('POST / HTTP/1.1'))).toBe('accept');
  });
  it('length (xt_length.c length_mt): IPv4 tot_len', () => {
    // udp without payload: 20 + 8 = 28 <= 40; tcp with 20 bytes of payload: 60
    expect(run(nf, NFPROTO_IPV4, 3, skb4({ src: '10.0.0.1', dst: '192.0.2.1', proto: 'udp' }), h, undefined, 'eth0').verdict).toBe('drop');
    expect(run(nf, NFPROTO_IPV4, 3, skb4({ src: '10.0.0.1', dst: '192.0.2.1', proto: 'tcp', payload: 20 }), h, undefined, 'eth0').verdict).toBe('accept');
  });
});

describe('TCPMSS, TTL, DSCP targets rewrite the packet and keep its checksums (xt_TCPMSS.c, xt_HL.c, xt_DSCP.c)', () => {
  const rules = '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n'
    + '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -m tcpmss --mss 1401:65535 -j TCPMSS --set-mss 1400\n'
    + '-A FORWARD -j TTL --ttl-set 7\n-A FORWARD -j DSCP --set-dscp-class EF\nCOMMIT\n';
  it('lowers the MSS option (never raises it) and shows before/after', () => {
    const h = host({ iptables: rules });
    const nf = hooks(h);
    const s = synMss(1460);
    const r = run(nf, NFPROTO_IPV4, NF_INET_FORWARD, s, h, 'eth0', 'eth1');
    const d = s.data;
    expect((d[54 + 2]! << 8) | d[54 + 3]!).toBe(1400);
    expect(l4CsumV4(d, 34, 24, 6, parseIPv4('192.0.2.7')!, parseIPv4('10.0.0.9')!)).toBe(0);
    expect(d[14 + 8]).toBe(7);
    expect(d[14 + 1]).toBe(46 << 2); // EF = 46
    expect(ipFastCsum(d, 14, 5)).toBe(0);
    expect(r.events.filter((e) => /_tg4?$/.test(e.fn)).map((e) => e.what)).toEqual(['TCPMSS mss 1460 -> 1400', 'TTL 64 -> 7', 'DSCP dsfield 0x0 -> 0xb8']);
    expect(r.events.find((e) => e.fn === 'tcpmss_tg4')!.diff).toEqual({ 'tcp.mss': [1460, 1400] });
    // 1300 is below the tcpmss range: the rule does not match, the option stays
    const s2 = synMss(1300);
    run(nf, NFPROTO_IPV4, NF_INET_FORWARD, s2, h, 'eth0', 'eth1');
    expect((s2.data[56]! << 8) | s2.data[57]!).toBe(1300);
  });
  it('--clamp-mss-to-pmtu: min(out MTU, in MTU) - 40', () => {
    const devs = [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.0.1/24']), { ...dev(3, 'wg0', ['192.0.2.1/24']), mtu: 1420 }];
    const h = host({ iptables: rules.replace('--set-mss 1400', '--clamp-mss-to-pmtu').replace(/-A FORWARD -j (TTL|DSCP).*\n/g, '') }, devs);
    const s = synMss(1460);
    run(hooks(h), NFPROTO_IPV4, NF_INET_FORWARD, s, h, 'eth0', 'wg0');
    expect((s.data[56]! << 8) | s.data[57]!).toBe(1380);
  });
});

describe('conntrack (xt_conntrack.c conntrack_mt) and connlimit (xt_connlimit.c with nf_conncount)', () => {
  it('--ctstate DNAT matches a connection whose destination was translated; --ctorigdst the address before', () => {
    const rules = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.5:80\nCOMMIT\n'
      + ipt('-A FORWARD -m conntrack --ctstate DNAT --ctorigdst 192.0.2.1 -j ACCEPT\n-A FORWARD -j DROP');
    const h = host({ iptables: rules });
    const nf = hooks(h);
    const through = (dport: number) => {
      const s = skb4({ src: '198.51.100.7', dst: '192.0.2.1', proto: 'tcp', dport });
      run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, s, h, 'eth1');
      return run(nf, NFPROTO_IPV4, NF_INET_FORWARD, s, h, 'eth1', 'eth0').verdict;
    };
    expect(through(8080)).toBe('accept');
    expect(through(8081)).toBe('drop');
  });
  it('--connlimit-above 2: the third connection from the same /24 matches', () => {
    const h = host({ iptables: ipt('-A INPUT -p tcp --syn -m connlimit --connlimit-above 2 --connlimit-mask 24 -j REJECT --reject-with tcp-reset') });
    const nf = hooks(h);
    const syn = (src: string, sport: number) => {
      const s = skb4({ src, dst: '10.0.0.1', proto: 'tcp', sport, dport: 22, flags: 'S' });
      run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, s, h, 'eth0');
      return run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, s, h, 'eth0').verdict;
    };
    expect([syn('192.0.2.1', 1001), syn('192.0.2.2', 1002), syn('192.0.2.3', 1003), syn('198.51.100.1', 1004)]).toEqual(['accept', 'accept', 'drop', 'accept']);
  });
});

describe('what a kernel holds that iptables 1.8.11 would refuse', () => {
  const filt = (r: string) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${r}\nCOMMIT\n`;
  it('a reversed port range (iptables 1.8.9 accepts --dport 60000:29) matches no port; ! matches every one', () => {
    const h = host({ iptables: filt('-A INPUT -p udp -m udp --dport 60000:29 -j DROP\n-A INPUT -p udp -m udp ! --dport 60000:29 -j REJECT') });
    const nf = hooks(h);
    const r = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '192.0.2.1', dst: '10.0.0.1', proto: 'udp', dport: 100 }), h, 'eth0');
    expect(r.verdicts.at(-1)!.rule).toBe('-A INPUT -p udp -m udp ! --dport 60000:29 -j REJECT');
  });
  it('TCPMSS without a SYN match loads with the nf_tables backend (nft_compat), not with legacy (tcpmss_tg4_check)', () => {
    const m = (hdr: string) => `${hdr}\n*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A FORWARD -p tcp -j TCPMSS --set-mss 1400\nCOMMIT\n`;
    const nftH = host({ iptables: m('# Generated by iptables-nft-save v1.8.9 (nf_tables) on Mon Dec  7 16:57:26 2026') });
    const s = synMss(1460);
    run(hooks(nftH), NFPROTO_IPV4, NF_INET_FORWARD, s, nftH, 'eth0', 'eth1');
    expect((s.data[56]! << 8) | s.data[57]!).toBe(1400);
    const legacyH = host({ iptables: m('# Generated by iptables-save v1.8.9 on Mon Dec  7 16:57:29 2026') });
    const r = run(hooks(legacyH), NFPROTO_IPV4, NF_INET_FORWARD, synMss(1460), legacyH, 'eth0', 'eth1');
    expect(r.unsupported).toBeTruthy(); // a dump: the rule the legacy kernel would have refused is marked
  });
});
