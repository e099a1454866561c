// NAT as nf_nat does it, on the rules of the kernel fixture fixtures/kernel/nat/setup.sh:
// the first packet binds, later ones and the replies are rewritten from the conntrack entry;
// checksums stay valid (checked with the packet module's verifiers, not the NAT code).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_FORWARD, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { ipFastCsum, l4CsumV4, l4CsumV6 } from '../../src/packet/checksum.js';
import type { SkBuff } from '../../src/kernel/skbuff.js';
import { dev, host, hooks, run, skb4, skb6 } from './helpers.js';

const RULES = `table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iif "eth1" tcp dport 8080 dnat to 10.0.1.10:80
		iif "eth1" udp dport 5353 dnat to 10.0.1.10
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oif "eth1" masquerade
	}
}
`;

function addrs(skb: SkBuff): string {
  const d = skb.data;
  const ip = (o: number) => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
  const port = (o: number) => (d[o]! << 8) | d[o + 1]!;
  return `${ip(26)}:${port(34)} > ${ip(30)}:${port(36)}`;
}
function csumOk(skb: SkBuff): boolean {
  const d = skb.data;
  const s = ((d[26]! << 24) | (d[27]! << 16) | (d[28]! << 8) | d[29]!) >>> 0, t = ((d[30]! << 24) | (d[31]! << 16) | (d[32]! << 8) | d[33]!) >>> 0;
  return ipFastCsum(d, 14, 5) === 0 && l4CsumV4(d, 34, skb.tail - 34, d[23]!, s, t) === 0;
}

describe('nat', () => {
  const h = host({ nft: RULES }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['203.0.113.1/24'])]);
  const nf = hooks(h);
  const through = (skb: SkBuff, i: string, o: string) => {
    const pre = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb, h, i);
    run(nf, NFPROTO_IPV4, NF_INET_FORWARD, skb, h, i, o);
    const post = run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, skb, h, undefined, o);
    return [...pre.events, ...post.events].filter((e) => e.fn.startsWith('nf_nat')).map((e) => e.what);
  };

  it('dnat: the first packet binds at prerouting, the reply gets its source restored at postrouting', () => {
    const syn = skb4({ src: '203.0.113.50', dst: '203.0.113.1', proto: 'tcp', sport: 40000, dport: 8080, flags: 'S' });
    expect(through(syn, 'eth1', 'eth0')).toEqual(['dnat to 10.0.1.10:80', 'DNAT original']);
    expect(addrs(syn)).toBe('203.0.113.50:40000 > 10.0.1.10:80');
    expect(csumOk(syn)).toBe(true);
    const synack = skb4({ src: '10.0.1.10', dst: '203.0.113.50', proto: 'tcp', sport: 80, dport: 40000, flags: 'SA', seq: 5000, ack: 1001 });
    // the masquerade chain is not consulted for a reply (not a new connection)
    expect(through(synack, 'eth0', 'eth1')).toEqual(['SNAT reply']);
    expect(addrs(synack)).toBe('203.0.113.1:8080 > 203.0.113.50:40000');
    expect(csumOk(synack)).toBe(true);
    const ack = skb4({ src: '203.0.113.50', dst: '203.0.113.1', proto: 'tcp', sport: 40000, dport: 8080, flags: 'A', seq: 1001, ack: 5001 });
    expect(through(ack, 'eth1', 'eth0')).toEqual(['DNAT original']); // from the entry, no rule lookup
    expect(addrs(ack)).toBe('203.0.113.50:40000 > 10.0.1.10:80');
  });

  it('masquerade: source becomes the out device address, replies are sent back to the inside host', () => {
    const out = skb4({ src: '10.0.1.2', dst: '198.51.100.9', proto: 'udp', sport: 5555, dport: 443 });
    expect(through(out, 'eth0', 'eth1')).toEqual(['masquerade to 203.0.113.1:5555', 'SNAT original']);
    expect(addrs(out)).toBe('203.0.113.1:5555 > 198.51.100.9:443');
    expect(csumOk(out)).toBe(true);
    const back = skb4({ src: '198.51.100.9', dst: '203.0.113.1', proto: 'udp', sport: 443, dport: 5555 });
    expect(through(back, 'eth1', 'eth0')).toEqual(['DNAT reply']);
    expect(addrs(back)).toBe('198.51.100.9:443 > 10.0.1.2:5555');
    expect(csumOk(back)).toBe(true);
  });

  it('leaves frames of connections without NAT untouched (null binding)', () => {
    const skb = skb4({ src: '10.0.1.2', dst: '10.0.1.1', proto: 'tcp', sport: 1234, dport: 22, flags: 'S' });
    const before = addrs(skb);
    expect(through(skb, 'eth0', 'eth0')).toEqual([]);
    expect(addrs(skb)).toBe(before);
    expect(skb.writable).toBe(false); // no copy made
  });

  it('says when the kernel would pick the port by its hash (snat to a port range the source port is not in)', () => {
    const h2 = host({ nft: 'table ip nat {\n\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tmeta l4proto tcp snat to 203.0.113.1:1024-2048\n\t}\n}\n' }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['203.0.113.1/24'])]);
    const nf2 = hooks(h2);
    const a = skb4({ src: '10.0.1.2', dst: '198.51.100.9', proto: 'tcp', sport: 40000, dport: 443, flags: 'S' });
    run(nf2, NFPROTO_IPV4, NF_INET_PRE_ROUTING, a, h2, 'eth0');
    const r = run(nf2, NFPROTO_IPV4, NF_INET_POST_ROUTING, a, h2, undefined, 'eth1');
    expect(addrs(a)).toBe('203.0.113.1:1024 > 198.51.100.9:443');
    expect(r.unsupported).toEqual(["nat: port chosen from 1024-2048 by the kernel's hash; the model took 1024"]);
    // in range: the kernel keeps the port, nothing to flag
    const b = skb4({ src: '10.0.1.2', dst: '198.51.100.9', proto: 'tcp', sport: 1500, dport: 443, flags: 'S' });
    run(nf2, NFPROTO_IPV4, NF_INET_PRE_ROUTING, b, h2, 'eth0');
    const rb = run(nf2, NFPROTO_IPV4, NF_INET_POST_ROUTING, b, h2, undefined, 'eth1');
    expect(addrs(b)).toBe('203.0.113.1:1500 > 198.51.100.9:443');
    expect(rb.unsupported).toBeUndefined();
  });

  it('publishes a Docker port: addrtype LOCAL -> DOCKER -> DNAT, then FORWARD accepts it in the DOCKER chain', () => {
    const hd = host({ iptables: readFileSync('fixtures/rulesets/admin/docker-iptables.rules', 'utf8') }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['192.0.2.1/24']), dev(3, 'docker0', ['172.17.0.1/16'])]);
    const nfd = hooks(hd);
    const syn = skb4({ src: '198.51.100.7', dst: '192.0.2.1', proto: 'tcp', sport: 50000, dport: 8080, flags: 'S' });
    run(nfd, NFPROTO_IPV4, NF_INET_PRE_ROUTING, syn, hd, 'eth0');
    expect(addrs(syn)).toBe('198.51.100.7:50000 > 172.17.0.2:80');
    const f = run(nfd, NFPROTO_IPV4, NF_INET_FORWARD, syn, hd, 'eth0', 'docker0');
    expect(f.verdict).toBe('accept');
    expect(f.verdicts.map((v) => `${v.chain} ${v.verdict} ${v.rule}`)).toEqual(['FORWARD accept -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT']);
    expect(f.verdicts[0]!.source).toBe('iptables.rules:16');
    // another port is not published: FORWARD policy drop
    const other = skb4({ src: '198.51.100.7', dst: '172.17.0.2', proto: 'tcp', sport: 50001, dport: 22, flags: 'S' });
    run(nfd, NFPROTO_IPV4, NF_INET_PRE_ROUTING, other, hd, 'eth0');
    expect(run(nfd, NFPROTO_IPV4, NF_INET_FORWARD, other, hd, 'eth0', 'docker0').verdicts.map((v) => `${v.chain} ${v.verdict}`)).toEqual(['FORWARD drop']);
  });

  it('masquerades IPv6 too: the source becomes the out device address, the L4 checksum stays valid', () => {
    const h6 = host({ nft: 'table ip6 nat {\n\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\toifname "eth1" masquerade\n\t}\n}\n' }, [dev(1, 'lo', ['::1/128'], 'loopback'), dev(2, 'eth0', ['fd00:1::1/64']), dev(3, 'eth1', ['2001:db8::1/64'])]);
    const nf6 = hooks(h6);
    const u = skb6({ src: 'fd00:1::2', dst: '2001:db8:ffff::9', proto: 'udp', sport: 5353, dport: 53 });
    run(nf6, NFPROTO_IPV6, NF_INET_PRE_ROUTING, u, h6, 'eth0');
    const r = run(nf6, NFPROTO_IPV6, NF_INET_POST_ROUTING, u, h6, undefined, 'eth1');
    expect(r.events.filter((e) => e.fn === 'nf_nat_packet').map((e) => e.diff)).toEqual([{ 'ip6.saddr': ['fd00:1::2', '2001:db8::1'] }]);
    expect(l4CsumV6(u.data, 14, 54, 8, 17)).toBe(0);
    expect(r.unsupported).toBeUndefined();
  });
});


// Port range edges against the kernel: test/kernel/route-nat-kernel-measure.py sent one UDP
// datagram per source port through `snat to 10.0.21.1:1000-1002` (each to a server address of its
// own, so no binding takes a port another needs) and read the port the kernel bound from
// /proc/net/nf_conntrack. A port inside the range, both ends included, is kept
// (nf_nat_l4proto_unique_tuple: nf_nat_used_tuple is false and l4proto_in_range holds); one outside
// is replaced by one the kernel picks by hash, inside the range: the model takes the range's first
// and says so.
describe('snat port range edges match the kernel', () => {
  const rec = JSON.parse(readFileSync(new URL('../kernel/fixtures/route-nat.json', import.meta.url), 'utf8')) as { kernel: string; nat_rules: string; nat: { dst: string; sport: number; bound: number }[] };
  const h = host({ nft: rec.nat_rules }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'ra', ['10.0.20.1/24']), dev(3, 'rb', ['10.0.21.1/24'])]);
  const nf = hooks(h);
  for (const k of rec.nat) {
    it(`source port ${k.sport}: kernel ${rec.kernel} bound ${k.bound}`, () => {
      const skb = skb4({ src: '10.0.20.2', dst: k.dst, proto: 'udp', sport: k.sport, dport: 53 });
      run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb, h, 'ra');
      run(nf, NFPROTO_IPV4, NF_INET_FORWARD, skb, h, 'ra', 'rb');
      const post = run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, skb, h, undefined, 'rb');
      const got = Number(/^10\.0\.21\.1:(\d+) > /.exec(addrs(skb))![1]);
      if (k.sport >= 1000 && k.sport <= 1002) {
        expect(got).toBe(k.bound);
        expect(k.bound).toBe(k.sport);
      } else {
        // the kernel's choice is a hash: inside the range, and the model's frame says it guessed
        expect(k.bound >= 1000 && k.bound <= 1002 && got >= 1000 && got <= 1002).toBe(true);
        expect(JSON.stringify(post)).toContain('chosen from 1000-1002 by the kernel');
      }
      expect(csumOk(skb)).toBe(true);
    });
  }
});
