// Evaluation from kernel behaviour: hook order measured with nft monitor trace
// (fixtures/rulesets/evidence/hook-order.sh, trace.out), the iptables-save source and the
// translation nft printed for the same rules (fixtures/rulesets) deciding every packet alike,
// nft_do_chain's jump/goto/return, and unsupported constructs never taken as match or miss.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import type { NfTables } from '../../src/kernel/netfilter/index.js';
import { dev, host, hooks, run, skb4, skb6, type Pk, type Sent } from './helpers.js';
import { parseIPv6 as parseIPv6Str } from '../../src/kernel/netfilter/ir.js';

const F = 'fixtures/rulesets';
const read = (f: string) => readFileSync(`${F}/${f}`, 'utf8');

describe('hook order', () => {
  it('runs base chains by priority, the one registered last first on a tie (as nft monitor trace showed)', () => {
    const trace = read('evidence/trace.out').split('\n').filter((l) => / policy accept/.test(l)).slice(0, 3).map((l) => l.split(' ').slice(3, 6).join(' '));
    expect(trace).toEqual(['ip third c', 'ip second c', 'ip first c']);
    const h = host({ nft: 'table ip first {\n chain c {\n type filter hook input priority 0; policy accept;\n }\n}\ntable ip second {\n chain c {\n type filter hook input priority 0; policy accept;\n }\n}\ntable ip third {\n chain c {\n type filter hook input priority -1; policy accept;\n }\n}\n' });
    const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 'icmp' }), h, 'lo');
    expect(r.verdicts.map((v) => `${v.family} ${v.table} ${v.chain}`)).toEqual(trace);
  });

  it('lays conntrack and NAT between the chains at their kernel priorities', () => {
    const h = host({ nft: read('nft-native.txt') });
    const nf = hooks(h) as NfTables;
    expect(nf.layout(NFPROTO_IPV4, NF_INET_PRE_ROUTING)).toEqual(['-200 nf_conntrack_in', '-100 nat(ip nat prerouting)']);
    expect(nf.layout(NFPROTO_IPV4, NF_INET_LOCAL_IN)).toEqual(['0 inet filter input', '100 nat()', '2147483647 nf_conntrack_confirm']);
    expect(nf.layout(NFPROTO_IPV4, NF_INET_FORWARD)).toEqual(['-10 inet filter forward']);
  });
});

describe('iptables-save and its nft translation decide alike', () => {
  // nft's own rendering of what iptables-nft loaded is the independent source for the translation
  const grid: { pk: Pk; in: string }[] = [];
  const srcs = ['10.0.0.2', '203.0.113.5', '192.168.1.9', '10.9.0.5', '8.8.8.8', '192.0.2.255'];
  for (const src of srcs) {
    for (const dport of [22, 80, 443, 8050, 9000, 25, 8080]) for (const flags of ['S', 'SA', 'A']) grid.push({ pk: { src, dst: '10.0.0.1', proto: 'tcp', dport, flags }, in: 'eth0' });
    for (const [sport, dport] of [[1500, 53], [53, 4789], [40000, 5000]]) grid.push({ pk: { src, dst: '10.0.0.1', proto: 'udp', sport, dport }, in: 'eth0' });
    grid.push({ pk: { src, dst: '10.0.0.1', proto: 'icmp', type: 8 }, in: 'eth0' }, { pk: { src, dst: '10.0.0.1', proto: 'icmp', type: 0 }, in: 'lo' });
  }
  const hookIn: Record<number, [string | undefined, string | undefined]> = {
    [NF_INET_PRE_ROUTING]: ['eth0', undefined], [NF_INET_LOCAL_IN]: ['eth0', undefined], [NF_INET_FORWARD]: ['eth0', 'eth1'], [NF_INET_LOCAL_OUT]: [undefined, 'eth0'], [NF_INET_POST_ROUTING]: [undefined, 'eth0'],
  };
  it(`gives the same verdicts on ${grid.length} packets x 5 hooks`, () => {
    const a = host({ iptables: read('iptables-nft.rules') });
    const b = host({ nft: read('nft-from-iptables.txt').replace(/^table ip6[\s\S]*?^}\n?/m, '') });
    const na = hooks(a), nb = hooks(b);
    let compared = 0, drops = 0;
    for (const hook of [NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING]) {
      for (const g of grid) {
        const [i, o] = hookIn[hook]!;
        const ra = run(na, NFPROTO_IPV4, hook, skb4({ ...g.pk, t: 1 }), a, g.in === 'lo' ? 'lo' : i, o);
        const rb = run(nb, NFPROTO_IPV4, hook, skb4({ ...g.pk, t: 1 }), b, g.in === 'lo' ? 'lo' : i, o);
        const sa = ra.verdicts.map((v) => `${v.table} ${v.chain} ${v.verdict}`), sb = rb.verdicts.map((v) => `${v.table} ${v.chain} ${v.verdict}`);
        expect({ hook, pk: g.pk, v: sa, u: !!ra.unsupported }).toEqual({ hook, pk: g.pk, v: sb, u: !!rb.unsupported });
        compared++;
        if (ra.verdict === 'drop') drops++;
      }
    }
    expect(compared).toBe(grid.length * 5);
    expect(drops).toBeGreaterThan(20); // the grid reaches the drop rules and the policy, not only accepts
  });
});

describe('nft_do_chain', () => {
  const rules = `table inet t {
	chain sub {
		tcp dport 22 return
		tcp dport 23 accept
	}
	chain sub2 {
		tcp dport 24 drop
	}
	chain input {
		type filter hook input priority 0; policy drop;
		ip saddr 10.0.0.2 jump sub
		ip saddr 10.0.0.2 tcp dport 22 accept
		ip saddr 10.0.0.3 goto sub2
		ip saddr 10.0.0.3 accept
	}
}
`;
  const h = host({ nft: rules });
  const nf = hooks(h);
  const v = (src: string, dport: number) => {
    const r = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.1', proto: 'tcp', dport }), h, 'eth0');
    return [r.verdict, ...r.verdicts.map((x) => `${x.chain}:${x.verdict}:${x.rule ?? 'policy'}`)].join(' ');
  };
  it('returns from a jump to the next rule of the calling chain', () => expect(v('10.0.0.2', 22)).toBe('accept input:accept:handle 2'));
  it('takes the verdict of the jumped-to chain', () => expect(v('10.0.0.2', 23)).toBe('accept input:accept:sub handle 2'));
  it('falls off the end of a jumped-to chain back to the caller', () => expect(v('10.0.0.2', 80)).toBe('drop input:drop:policy'));
  it('goto does not come back: the end of the goto chain is the base chain policy', () => {
    expect(v('10.0.0.3', 24)).toBe('drop input:drop:sub2 handle 1');
    expect(v('10.0.0.3', 80)).toBe('drop input:drop:policy');
  });
});

describe('unsupported constructs', () => {
  const h = host({ nft: 'table ip t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\ttcp dport 22 meta skuid 1000 drop\n\t\ttcp dport 80 socket transparent 1 accept\n\t\ttcp dport 81 drop\n\t}\n}\n' });
  const nf = hooks(h) as NfTables;
  const r = (dport: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', dport }), h, 'eth0');
  it('are reported once by file and line', () => {
    expect(nf.unsupported).toEqual(['nft.txt:4: meta skuid', 'nft.txt:5: socket transparent']);
  });
  it('mark the frames whose result depends on them', () => {
    expect(r(22).unsupported).toEqual(['nft.txt:4: meta skuid']);
    expect(r(80).unsupported).toEqual(['nft.txt:5: socket transparent']);
  });
  it('leave frames that never reach them alone', () => {
    const x = r(81);
    expect(x.verdict).toBe('drop');
    expect(x.unsupported).toBeUndefined();
    expect(r(443).unsupported).toBeUndefined();
  });
});

describe('numgen random', () => {
  // nft_ng_random_gen: reciprocal_scale(get_random_u32(), modulus) + offset; reciprocal_scale(x, 1)
  // is (x * 1) >> 32 = 0, so kube-proxy's one-endpoint `numgen random mod 1 vmap { 0 : ... }` is decided
  const h = host({ nft: 'table ip t {\n\tchain a {\n\t\tdrop\n\t}\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\ttcp dport 80 numgen random mod 1 vmap { 0 : goto a }\n\t\ttcp dport 81 numgen random mod 1 offset 7 vmap { 7 : goto a }\n\t\ttcp dport 82 numgen random mod 2 vmap { 0 : goto a, 1 : goto a }\n\t}\n}\n' });
  const nf = hooks(h) as NfTables;
  const r = (dport: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', dport }), h, 'eth0');
  it('mod 1 always gives the offset', () => {
    for (const d of [80, 81]) { const x = r(d); expect(x.verdict).toBe('drop'); expect(x.unsupported).toBeUndefined(); }
  });
  it('mod 2 stays unsupported', () => {
    expect(r(82).unsupported).toEqual(['nft.txt:9: numgen random']);
  });
});

describe('indexed linear chains', () => {
  it('decide exactly like the linear walk (same first match) on a long -s blocklist with interleaved jumps', () => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':L - [0:0]'];
    const rules: string[] = [];
    for (let i = 0; i < 300; i++) {
      const ip = `10.1.${i % 7}.${i % 13}`;
      rules.push(`-A INPUT -s ${ip}/32 -p tcp -m tcp --dport ${20 + (i % 5)} -j ${i % 11 === 0 ? 'L' : i % 3 ? 'DROP' : 'ACCEPT'}`);
    }
    const body = [...lines, ...rules, '-A L -p tcp -m tcp --dport 21 -j RETURN', '-A L -j DROP', 'COMMIT', ''].join('\n');
    // the same rules with a non-indexable rule between each: forces the linear walk
    const linear = [...lines, ...rules.flatMap((r) => [r, '-A INPUT -m mark --mark 0x7 -j ACCEPT']), '-A L -p tcp -m tcp --dport 21 -j RETURN', '-A L -j DROP', 'COMMIT', ''].join('\n');
    const ha = host({ iptables: body }), hb = host({ iptables: linear });
    const na = hooks(ha), nb = hooks(hb);
    let drops = 0;
    for (let a = 0; a < 7; a++) for (let b = 0; b < 13; b++) for (let port = 19; port < 26; port++) {
      const pk: Pk = { src: `10.1.${a}.${b}`, dst: '10.0.0.1', proto: 'tcp', dport: port };
      const ra = run(na, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4(pk), ha, 'eth0');
      const rb = run(nb, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4(pk), hb, 'eth0');
      expect([ra.verdict, ra.verdicts[0]!.chain, ra.verdicts[0]!.rule?.replace(/^.*-j /, '')]).toEqual([rb.verdict, rb.verdicts[0]!.chain, rb.verdicts[0]!.rule?.replace(/^.*-j /, '')]);
      if (ra.verdict === 'drop') drops++;
    }
    expect(drops).toBeGreaterThan(50);
  });
});

describe('reject', () => {
  it('drops and asks the kernel path to answer: tcp reset, icmp port-unreachable, icmpx admin-prohibited', () => {
    const sent: Sent[] = [];
    const h = host({ nft: read('nft-native.txt') });
    const nf = hooks(h, sent);
    // prerouting first (conntrack attaches the entry), then input, as the kernel path calls them
    const inp = (pk: Pk) => {
      const skb = skb4(pk);
      expect(run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb, h, 'eth0').verdict).toBe('accept');
      return run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb, h, 'eth0');
    };
    const a = inp({ src: '10.0.0.9', dst: '10.0.0.1', proto: 'tcp', dport: 8050, flags: 'S' });
    const b = inp({ src: '10.0.0.9', dst: '10.0.0.1', proto: 'udp', dport: 138 });
    expect([a.verdict, b.verdict]).toEqual(['drop', 'drop']);
    // icmpx admin-prohibited -> icmp type 3 code 13 for IPv4 (nft_reject_icmp_code)
    expect(sent.map((s) => s.how)).toEqual(['tcp-reset', 'icmp 3/13']);
  });
});

describe('fib (reverse path filter as firewalld writes it)', () => {
  // fixtures/rulesets/evidence/fib-rpf.py: the same rule and routes on kernel 6.18 (fib-rpf.json)
  const ev = JSON.parse(read('evidence/fib-rpf.json')) as { results: { src: string; in: string; dropped: boolean }[] };
  it(`drops sources whose route back leaves through another device, as the kernel did (${ev.results.length} cases)`, () => {
    const h = host({ nft: 'table inet raw {\n\tchain pre {\n\t\ttype filter hook prerouting priority raw; policy accept;\n\t\tfib saddr . mark . iif oif missing counter drop\n\t\tcounter\n\t}\n}\n' },
      [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'ra', ['10.0.10.1/24']), dev(3, 'rb', ['10.0.11.1/24'])]);
    h.routes = [
      { family: 4, table: 254, type: 'unicast', dst: 0x0a000a00, dstStr: '10.0.10.0/24', dstLen: 24, dev: 'ra', scope: 'link', metric: 0, protocol: 'kernel' },
      { family: 4, table: 254, type: 'unicast', dst: 0x0a000b00, dstStr: '10.0.11.0/24', dstLen: 24, dev: 'rb', scope: 'link', metric: 0, protocol: 'kernel' },
      { family: 4, table: 254, type: 'unicast', dst: 0, dstStr: 'default', dstLen: 0, gateway: 0x0a000bfe, gatewayStr: '10.0.11.254', dev: 'rb', scope: 'global', metric: 0, protocol: 'static' },
    ];
    const nf = hooks(h);
    const got = ev.results.map((x) => {
      const r = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb4({ src: x.src, dst: x.in === 'ra' ? '10.0.10.1' : '10.0.11.1', proto: 'udp', dport: 53 }), h, x.in);
      expect(r.unsupported).toBeUndefined();
      return { src: x.src, in: x.in, dropped: r.verdict === 'drop' };
    });
    expect(got).toEqual(ev.results.map(({ src, in: i, dropped }) => ({ src, in: i, dropped })));
  });
});

describe('fib for IPv6 (firewalld IPv6_rpfilter)', () => {
  // nft_fib6_eval (net/ipv6/netfilter/nft_fib_ipv6.c): saddr and daddr swapped, a lookup towards a
  // link-local address bound to the input device (RT6_LOOKUP_F_IFACE), no route (ip6_null_entry) or
  // a route through another device than iif -> 0 -> `oif missing` matches. The same rule dropped
  // fixtures/kernel/firewalld-host frame 41 (source 2001:db8:9::1 without a route back) on 6.18.
  const v6 = (s: string) => Uint8Array.from(parseIPv6Str(s), (c) => c.charCodeAt(0));
  const h = host({ nft: 'table inet firewalld {\n\tchain filter_PREROUTING {\n\t\ttype filter hook prerouting priority filter + 10; policy accept;\n\t\tmeta nfproto ipv6 fib saddr . mark . iif oif missing drop\n\t}\n}\n' },
    [dev(1, 'lo', ['::1/128'], 'loopback'), dev(2, 'eth0', ['fd00:1::1/64']), dev(3, 'eth1', ['2001:db8:1::1/64'])]);
  h.routes = [
    { family: 6, table: 254, type: 'unicast', dst: v6('fd00:1::'), dstStr: 'fd00:1::/64', dstLen: 64, dev: 'eth0', scope: 'global', metric: 256, protocol: 'kernel' },
    { family: 6, table: 254, type: 'unicast', dst: v6('fe80::'), dstStr: 'fe80::/64', dstLen: 64, dev: 'eth0', scope: 'global', metric: 256, protocol: 'kernel' },
    { family: 6, table: 254, type: 'unicast', dst: v6('fe80::'), dstStr: 'fe80::/64', dstLen: 64, dev: 'eth1', scope: 'global', metric: 256, protocol: 'kernel' },
    { family: 6, table: 254, type: 'unicast', dst: v6('2001:db8:1::'), dstStr: '2001:db8:1::/64', dstLen: 64, dev: 'eth1', scope: 'global', metric: 256, protocol: 'kernel' },
    { family: 6, table: 255, type: 'local', dst: v6('fd00:1::1'), dstStr: 'fd00:1::1', dstLen: 128, dev: 'eth0', scope: 'host', metric: 0, protocol: 'kernel' },
  ];
  const nf = hooks(h);
  const verdict = (src: string, inDev: string) => {
    const r = run(nf, NFPROTO_IPV6, NF_INET_PRE_ROUTING, skb6({ src, dst: inDev === 'eth0' ? 'fd00:1::1' : '2001:db8:1::1', proto: 'udp', sport: 1000, dport: 53 }), h, inDev);
    expect(r.unsupported).toBeUndefined();
    return r.verdict;
  };
  it('accepts a source routed back through its input device, link-local sources on either device', () => {
    expect(verdict('fd00:1::2', 'eth0')).toBe('accept');
    expect(verdict('2001:db8:1::50', 'eth1')).toBe('accept');
    expect(verdict('fe80::2', 'eth0')).toBe('accept');
    expect(verdict('fe80::2', 'eth1')).toBe('accept');
  });
  it('drops a source without a route back, one routed through the other device, and the host\'s own address', () => {
    expect(verdict('2001:db8:9::1', 'eth0')).toBe('drop');
    expect(verdict('fd00:1::2', 'eth1')).toBe('drop');
    expect(verdict('fd00:1::1', 'eth0')).toBe('drop');
  });
});

describe('-j CT --helper (Shorewall AUTOHELPERS)', () => {
  // xt_ct_target attaches the helper and returns XT_CONTINUE: the kernel's trace of a TFTP datagram
  // through Shorewall's raw PREROUTING printed `ip raw PREROUTING rule udp dport 69 counter xt target
  // CT (verdict continue)` and then the policy (fixtures/kernel/shorewall-router frames 24, 26).
  it('continues past the rule and traces it; assigning the helper alone is evaluated (not unsupported)', () => {
    const h = host({ iptables: '*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p udp -m udp --dport 69 -j CT --helper tftp\n-A PREROUTING -p udp -m udp --dport 69 -j DROP\nCOMMIT\n' });
    const nf = hooks(h);
    const r = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', dport: 69 }), h, 'eth0');
    expect(r.verdict).toBe('drop');
    expect(r.events.filter((e) => e.fn === 'nft_do_chain').map((e) => e.what)).toEqual([
      expect.stringMatching(/-j CT --helper tftp \(verdict continue\)$/),
      expect.stringMatching(/-j DROP \(verdict drop\)$/),
    ]);
    expect(r.unsupported).toBeUndefined();
    const other = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', dport: 70 }), h, 'eth0');
    expect([other.verdict, other.unsupported]).toEqual(['accept', undefined]);
  });
});
