// `ipset save` input the model refuses or cannot evaluate: a bad element is an error naming
// ipset.txt:line:column and the problem (the house rule for bad input); a set whose lookups are not
// modelled makes the rules naming it unsupported, named, never guessed. The expected texts follow
// that contract; the element forms are ipset's (ipset(8): IP, IP/cidr, FROM-TO, IP,proto:port).
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN } from '../../src/kernel/netfilter/hook.js';
import { loadRuleset } from '../../src/kernel/netfilter/index.js';
import { host, hooks, run, skb4 } from './helpers.js';

const rules = (set: string) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m set --match-set ${set} src -j DROP\nCOMMIT\n`;
const load = (ipset: string) => { try { loadRuleset(host({ ipset })); return 'loaded'; } catch (e) { return (e as Error).message; } };

describe('ipset save: bad elements', () => {
  it('names the line and the problem', () => {
    expect(load('create s hash:net family inet\nadd s 10.0.0.1-10.0.0.x\n')).toBe("ipset.txt:2:1: Error: bad range '10.0.0.1-10.0.0.x'");
    expect(load('create s hash:net family inet\n\nadd s 10.0.0.1-10.0.0.9\nadd s x.0.0.1-10.0.0.9\n')).toBe("ipset.txt:4:1: Error: bad range 'x.0.0.1-10.0.0.9'");
    expect(load('create s hash:ip family inet\nadd s 10.0.0.300\n')).toBe("ipset.txt:2:1: Error: bad value '10.0.0.300'");
    expect(load('create s hash:net family inet\nadd s 10.0.x.0/24\n')).toBe("ipset.txt:2:1: Error: bad address '10.0.x.0/24'");
    expect(load('create p hash:ip,port family inet\nadd p 10.0.0.1\n')).toBe("ipset.txt:2:1: Error: element '10.0.0.1' does not fit set p");
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
