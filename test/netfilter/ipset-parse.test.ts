// `ipset save` input the model refuses or cannot evaluate: a bad element is an error naming
// ipset.txt:line:column and the problem (the house rule for bad input); a set whose lookups are not
// modelled makes the rules naming it unsupported, named, never guessed. The expected texts follow
// that contract; the element forms are ipset's (ipset(8): IP, IP/cidr, FROM-TO, IP,proto:port).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_LOCAL_IN } from '../../src/kernel/netfilter/hook.js';
import { loadRuleset } from '../../src/kernel/netfilter/index.js';
import { host, hooks, run, skb4, skb6 } from './helpers.js';

const rules = (set: string) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m set --match-set ${set} src -j DROP\nCOMMIT\n`;
const load = (ipset: string) => { try { loadRuleset(host({ ipset })); return 'loaded'; } catch (e) { return (e as Error).message; } };

describe('ipset save: bad elements', () => {
  it('names the line and the problem', () => {
    expect(load('create s hash:net family inet\nadd s 10.0.0.1-10.0.0.x\n')).toBe("ipset.txt:2:1: Error: bad range '10.0.0.1-10.0.0.x'");
    expect(load('create s hash:net family inet\n\nadd s 10.0.0.1-10.0.0.9\nadd s x.0.0.1-10.0.0.9\n')).toBe("ipset.txt:4:1: Error: bad range 'x.0.0.1-10.0.0.9'");
    expect(load('create s hash:ip family inet\nadd s 10.0.0.300\n')).toBe("ipset.txt:2:1: Error: bad value '10.0.0.300'");
    expect(load('create s hash:net family inet\nadd s 10.0.x.0/24\n')).toBe("ipset.txt:2:1: Error: bad address '10.0.x.0/24'");
    expect(load('create p hash:ip,port family inet\nadd p 10.0.0.1\n')).toBe("ipset.txt:2:1: Error: element '10.0.0.1' does not fit set p");
    // ipset 7.17 restore: 'Error in line 2: The set with the given name does not exist'
    expect(load('create s hash:ip family inet\nadd nosuch 10.0.0.1\n')).toBe('ipset.txt:2:1: Error: set nosuch does not exist');
    expect(load('# comment\ncreate s hash:ip family inet\nadd s 10.0.0.1 comment "a \\"quoted\\" word"\n')).toBe('loaded');
  });
});

describe('ipset save: what is not evaluated', () => {
  const verdict = (ipset: string, set: string, src: string) => {
    const h = host({ ipset, iptables: rules(set) });
    const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.9', proto: 'udp' }), h, 'eth0');
    return r.unsupported ? `unsupported: ${r.unsupported.join('; ')}` : r.verdict;
  };
  it('a list:set of sets of different types, or of a type not modelled', () => {
    const mixed = 'create a hash:ip family inet\nadd a 10.0.0.1\ncreate b hash:ip,port family inet\nadd b 10.0.0.1,tcp:80\ncreate l list:set\nadd l a\nadd l b\n';
    expect(verdict(mixed, 'l', '10.0.0.1')).toBe('unsupported: iptables.rules:5: -m set l (list:set l: member sets of different types (or not modelled))');
    const same = 'create a hash:ip family inet\nadd a 10.0.0.1\ncreate b hash:net family inet\nadd b 10.1.0.0/16\ncreate l list:set\nadd l a\nadd l b\n';
    expect([verdict(same, 'l', '10.0.0.1'), verdict(same, 'l', '10.1.2.3'), verdict(same, 'l', '10.2.0.1')]).toEqual(['drop', 'drop', 'accept']);
    const iface = 'create f hash:net,iface family inet\nadd f 10.0.0.0/8,eth0\ncreate l list:set\nadd l f\n';
    expect(verdict(iface, 'l', '10.0.0.1')).toBe('unsupported: iptables.rules:5: -m set l (list:set l: member sets of different types (or not modelled))');
    expect(verdict(iface, 'f', '10.0.0.1')).toBe('unsupported: iptables.rules:5: -m set f (ipset type hash:net,iface not modelled)');
  });
  it('IPv6 nomatch entries', () => {
    const v6 = 'create n hash:net family inet6\nadd n 2001:db8::/32\nadd n 2001:db8:1::/48 nomatch\n';
    expect(verdict(v6, 'n', '10.0.0.1')).toBe('unsupported: iptables.rules:5: -m set n (set n: nomatch entries (IPv6 or several dimensions))');
  });
  it('a set with timeouts says how they are read, naming its line', () => {
    const h = host({ ipset: 'create x hash:ip family inet\nadd x 10.0.0.1\ncreate t hash:ip family inet timeout 60\nadd t 10.0.0.2 timeout 30\n', iptables: rules('t') });
    const nf = hooks(h) as unknown as { notes: string[] };
    expect(nf.notes.filter((n) => n.startsWith('ipset.txt'))).toEqual(['ipset.txt:3: set t has timeouts: an entry expires the seconds the save gives after the capture time of the first packet that looks up a set with timeouts (the snapshot is taken as the capture\'s start)']);
  });
});

describe('ipset save: the element of every set type (ipset(8) TYPES), and its dimension', () => {
  // one element of each type in ipset's syntax; a missing part is an error naming the line. A rule
  // giving fewer directions than the type's dimensions never matches (ip_set_test: opt->dim <
  // set->type->dimension), so `! --match-set NAME src` always does (recorded for hash:ip,port in
  // fixtures/rulesets/evidence/xt-set-dimensions.txt); proto:port is one dimension.
  const types: [string, string, string, number][] = [
    ['hash:ip,port', '10.0.0.1,tcp:80', '10.0.0.1', 2],
    ['hash:net,port', '10.0.0.0/24,udp:53', '10.0.0.0/24', 2],
    ['hash:ip,port,ip', '10.0.0.1,80,10.0.0.2', '10.0.0.1,80', 3],
    ['hash:net,net', '10.0.0.0/24,10.1.0.0/16', '10.0.0.0/24', 2],
    ['hash:ip,port,net', '10.0.0.1,tcp:80,10.2.0.0/16', '10.0.0.1,tcp:80', 3],
    ['hash:net,port,net', '10.0.0.0/8,udp:53,10.2.0.0/16', '10.0.0.0/8,udp:53', 3],
  ];
  const verdict = (ipset: string, rule: string) => {
    const h = host({ ipset, iptables: `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT ${rule} -j DROP\nCOMMIT\n` });
    const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.1', dst: '10.0.0.9', proto: 'udp' }), h, 'eth0');
    return r.unsupported ? `unsupported: ${r.unsupported.join('; ')}` : r.verdict;
  };
  for (const [type, good, short, dim] of types) {
    it(`${type}: '${good}' loads, '${short}' is refused; ${dim} dimensions`, () => {
      for (const fam of ['inet', 'inet6']) {
        const g = fam === 'inet' ? good : good.replace(/10\.0\.0\.1\b/g, '2001:db8::1').replace(/10\.\d+\.0\.0\/\d+/g, '2001:db8::/32').replace(/10\.0\.0\.2/g, '2001:db8::2');
        expect(load(`create s ${type} family ${fam}\nadd s ${g}\n`)).toBe('loaded');
      }
      expect(load(`create s ${type} family inet\nadd s ${short}\n`)).toBe(`ipset.txt:2:1: Error: element '${short}' does not fit set s`);
      const save = `create s ${type} family inet\nadd s ${good}\n`;
      expect(verdict(save, '-m set ! --match-set s src')).toBe('drop');
      expect(verdict(save, '-m set --match-set s src')).toBe('accept');
      // each part unreadable in turn (an address 'x.y' / 'x:y::g', a port 'zz': ipset refuses them,
      // 'cannot parse ...'): refused, naming the line
      for (const fam of ['inet', 'inet6']) {
        const parts = (fam === 'inet' ? good : good.replace(/10\.0\.0\.1\b/g, '2001:db8::1').replace(/10\.\d+\.0\.0\/\d+/g, '2001:db8::/32').replace(/10\.0\.0\.2/g, '2001:db8::2')).split(',');
        parts.forEach((part, j) => {
          const bad = /^(tcp|udp):|^\d+$/.test(part) ? part.replace(/\d+$/, 'zz') : part.replace(/^[^/]+/, fam === 'inet' ? 'x.y' : 'x:y::g');
          const elem = parts.map((q, k) => (k === j ? bad : q)).join(',');
          expect(load(`create s ${type} family ${fam}\nadd s ${elem}\n`)).toMatch(/^ipset\.txt:2:1: Error: bad (value|address) '/);
        });
      }
      const all = Array(dim).fill('src').join(',');
      expect(verdict(save, `-m set --match-set s ${all}`)).toBe(`unsupported: iptables.rules:5: -m set s ${all} (multi-dimension set)`);
    });
  }
});

describe('ipset save: entries as the kernel holds them', () => {
  const verdict = (ipset: string, set: string, src: string, t?: number) => {
    const h = host({ ipset, iptables: rules(set) });
    const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.9', proto: 'udp', ...(t ? { t } : {}) }), h, 'eth0');
    return r.unsupported ? 'unsupported' : r.verdict === 'drop' ? 'in' : 'out';
  };
  it('a comment\'s text is not an option (recorded: fixtures/rulesets/evidence/ipset-comment-words.txt)', () => {
    const ev = readFileSync('fixtures/rulesets/evidence/ipset-comment-words.txt', 'utf8');
    const save = ev.slice(ev.indexOf('## ipset save\n') + 14, ev.indexOf('## ipset test'));
    const tested = [...ev.matchAll(/^(?:Warning: )?(\S+) is (NOT )?in set c\.$/gm)].map((m) => [m[1]!, m[2] ? 'out' : 'in']);
    expect(tested).toEqual([['10.2.0.1', 'in'], ['10.1.0.1', 'out'], ['10.9.0.1', 'in']]);
    for (const [a, want] of tested) expect(verdict(save, 'c', a!, 1000)).toBe(want);
    // the same rule for a comment of several words (ipset save quotes the whole text) and for a
    // '#' line whose second word names a set (a comment, not an `add`)
    // `timeout` is followed by packets/bytes/comment in a save (fixtures/rulesets/ipset-save-types.txt):
    // only the timeout's value is the entry's seconds (30 here, expired 60 s after the first lookup)
    const timed = 'create t hash:ip family inet timeout 600 counters comment\nadd t 10.0.0.2 timeout 30 packets 5 bytes 300 comment "x"\n';
    const ht = host({ ipset: timed, iptables: rules('t') });
    const nt = hooks(ht);
    const at = (t: number) => run(nt, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.9', proto: 'udp', t }), ht, 'eth0').verdict;
    expect([at(1000), at(1029), at(1030), at(1300)]).toEqual(['drop', 'drop', 'accept', 'accept']);
    const more = 'create c hash:net family inet comment\nadd c 10.0.0.0/8 comment "a nomatch b"\n# c 11.0.0.7\n';
    expect([verdict(more, 'c', '10.2.0.1'), verdict(more, 'c', '11.0.0.7')]).toEqual(['in', 'out']);
  });
  it('hash:net nomatch: the longest prefix decides, at every boundary and three levels deep (hash_net4_kadt)', () => {
    const save = 'create n hash:net family inet\nadd n 10.0.0.0/8\nadd n 10.1.0.0/16 nomatch\nadd n 10.1.2.0/24\nadd n 10.1.2.7 nomatch\nadd n 128.0.0.0/1\nadd n 200.0.0.0/8 nomatch\n';
    const at = (a: string) => verdict(save, 'n', a);
    expect(['9.255.255.255', '10.0.0.0', '10.0.255.255', '10.1.0.0', '10.1.1.255', '10.1.2.0', '10.1.2.6', '10.1.2.7', '10.1.2.8', '10.1.2.255', '10.1.3.0', '10.1.255.255', '10.2.0.0', '10.255.255.255', '11.0.0.0'].map(at))
      .toEqual(['out', 'in', 'in', 'out', 'out', 'in', 'in', 'out', 'in', 'in', 'out', 'out', 'in', 'in', 'out']);
    // an entry reaching 255.255.255.255 and a nomatch inside it
    expect(['127.255.255.255', '128.0.0.0', '199.255.255.255', '200.0.0.0', '200.255.255.255', '201.0.0.0', '255.255.255.255'].map(at))
      .toEqual(['out', 'in', 'in', 'out', 'out', 'in', 'in']);
    // a /31 with one address excepted leaves a stretch of one address
    const one = 'create o hash:net family inet\nadd o 10.5.0.0/31\nadd o 10.5.0.0 nomatch\n';
    expect(['10.5.0.0', '10.5.0.1', '10.5.0.2'].map((a) => verdict(one, 'o', a))).toEqual(['out', 'in', 'out']);
  });
  it('ranges FROM-TO, IPv6 prefixes, an empty list:set', () => {
    const r = 'create r hash:ip family inet\nadd r 10.0.0.3-10.0.0.5\n';
    expect(['10.0.0.2', '10.0.0.3', '10.0.0.5', '10.0.0.6'].map((a) => verdict(r, 'r', a))).toEqual(['out', 'in', 'in', 'out']);
    const e = 'create l list:set size 8\n';
    expect(verdict(e, 'l', '10.0.0.1')).toBe('out');
    // an IPv6 /48 covers 2^80 addresses: ip6tables sees 2001:db8:2:ffff::1 in it, 2001:db8:3:: not
    const h = host({ ipset: 'create s6 hash:net family inet6\nadd s6 2001:db8:2::/48\n', ip6tables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m set --match-set s6 src -j DROP\nCOMMIT\n' });
    const v6 = (src: string) => run(hooks(h), NFPROTO_IPV6, NF_INET_LOCAL_IN, skb6({ src, dst: '2001:db8::9', proto: 'udp', sport: 1, dport: 2 }), h, 'eth0').verdict;
    expect([v6('2001:db8:2::1'), v6('2001:db8:2:ffff:ffff::1'), v6('2001:db8:3::'), v6('2001:db8:1:ffff::1')]).toEqual(['drop', 'drop', 'accept', 'accept']);
  });
  // ipset 7.17 refuses each too (run here in a netns): 'cannot parse /24: resolving to IPv4 address
  // failed', 'cannot parse -10.0.0.1: ...', 'plain IP address must be supplied: 2001:db8::1-2001:db8::5'
  it('elements the model refuses: a leading "/" or "-", an IPv6 FROM-TO', () => {
    expect(load('create s hash:net family inet\nadd s /24\n')).toBe("ipset.txt:2:1: Error: bad value '/24'");
    expect(load('create s hash:ip family inet\nadd s -10.0.0.1\n')).toBe("ipset.txt:2:1: Error: bad value '-10.0.0.1'");
    expect(load('create s hash:ip family inet6\nadd s 2001:db8::1-2001:db8::5\n')).toBe("ipset.txt:2:1: Error: bad value '2001:db8::1-2001:db8::5'");
  });
});

describe('hash:mac (hash_mac4_kadt: the Ethernet source for src, the destination for dst)', () => {
  // skb4's frame: destination 02:00:00:00:00:01, source 02:00:00:00:00:02 (test/netfilter/helpers.ts)
  const verdict = (mac: string, dir: string) => {
    const h = host({ ipset: `create m hash:mac hashsize 1024 maxelem 65536\nadd m ${mac}\n`, iptables: `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m set --match-set m ${dir} -j DROP\nCOMMIT\n` });
    const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp' }), h, 'eth0');
    return r.unsupported ? `unsupported: ${r.unsupported.join('; ')}` : r.verdict;
  };
  it('looks up the frame\'s MAC address, not the IP address', () => {
    expect(verdict('02:00:00:00:00:02', 'src')).toBe('drop');
    expect(verdict('02:00:00:00:00:01', 'src')).toBe('accept');
    expect(verdict('02:00:00:00:00:01', 'dst')).toBe('drop');
    expect(verdict('02:00:00:00:00:02', 'dst')).toBe('accept');
  });
});
