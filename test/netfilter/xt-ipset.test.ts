// `ipset save` as ipset 7.17 printed it on kernel 6.18 (fixtures/rulesets/ipset-save-types.txt:
// options timeout/counters/comment, hash:net with a nomatch entry, bitmap:ip, list:set,
// hash:net,iface and hash:ip,port,net) and iptables rules matching against those sets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN } from '../../src/kernel/netfilter/hook.js';
import { host, hooks, run, skb4 } from './helpers.js';

const ipset = readFileSync('fixtures/rulesets/ipset-save-types.txt', 'utf8');
const rules = (set: string) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m set --match-set ${set} src -j DROP\nCOMMIT\n`;
const verdict = (set: string, src: string) => {
  const h = host({ ipset, iptables: rules(set) });
  const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.9', proto: 'udp' }), h, 'eth0');
  return r.unsupported ? 'unsupported' : r.verdict;
};

describe('ipset save: every set type and option the save prints', () => {
  it('timeouts, counters and comments do not change what matches', () => {
    expect(verdict('a', '10.0.0.1')).toBe('drop');
    expect(verdict('a', '10.0.0.2')).toBe('accept');
  });
  it('hash:net nomatch: the most specific entry decides (10.1.0.0/16 nomatch inside 10.0.0.0/8)', () => {
    expect(verdict('c', '10.2.3.4')).toBe('drop');
    expect(verdict('c', '10.1.2.3')).toBe('accept');
    expect(verdict('c', '11.0.0.1')).toBe('accept');
  });
  it('bitmap:ip and list:set (a member set matches)', () => {
    expect(verdict('h', '10.0.0.5')).toBe('drop');
    expect(verdict('h', '10.0.0.6')).toBe('accept');
    expect(verdict('d', '10.0.0.1')).toBe('drop');
    expect(verdict('d', '10.0.0.3')).toBe('accept');
  });
  it('sets of two or more dimensions used with one direction are reported, not guessed', () => {
    expect(verdict('b', '10.0.0.1')).toBe('unsupported');
  });
});

describe('ipset entries with a timeout expire on capture time (ip_set_timeout_expired)', () => {
  // the save gives the seconds each entry had left; the snapshot is taken as the capture's start
  // (the first packet that looks a timed set up). Expected values hand-derived from that rule.
  const save = 'create bans hash:net family inet hashsize 1024 maxelem 65536 timeout 600\nadd bans 10.0.0.2 timeout 30\nadd bans 10.0.1.0/24 timeout 60\nadd bans 10.0.0.3 timeout 0\n';
  it('matches an entry until its seconds have passed, a permanent (timeout 0) entry always', () => {
    const h = host({ ipset: save, iptables: rules('bans') });
    const nf = hooks(h);
    const v = (src: string, t: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.9', proto: 'udp', t }), h, 'eth0').verdict;
    expect(v('10.0.0.2', 1000)).toBe('drop'); // the capture's start
    expect(v('10.0.0.2', 1029)).toBe('drop');
    expect(v('10.0.0.2', 1030)).toBe('accept'); // 30 s passed
    expect(v('10.0.1.7', 1059)).toBe('drop');
    expect(v('10.0.1.7', 1060)).toBe('accept');
    expect(v('10.0.0.3', 5000)).toBe('drop');
  });
});
