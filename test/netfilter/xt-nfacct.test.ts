// -m nfacct (kube-proxy's KUBE-FORWARD and localhost NodePort rules). The `nfacct list` lines are
// what nfacct 1.0.2 printed on this machine (kernel 6.18) for `nfacct add plain`, `nfacct add q
// byte 1000`; xt_nfacct's nfacct_mt returns `overquota != NFACCT_UNDERQUOTA`, and an object without
// a quota is NFACCT_NO_QUOTA: always a match. iptables-nft refused a rule naming a missing object
// (RULE_APPEND failed (No such file or directory): nfacct_mt_checkentry -ENOENT).
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN } from '../../src/kernel/netfilter/hook.js';
import { loadRuleset } from '../../src/kernel/netfilter/index.js';
import { host, hooks, run, skb4 } from './helpers.js';

const nfacct = [
  '{ pkts = 00000000000000000000, bytes = 00000000000000000000 } = plain;',
  '{ pkts = 00000000000000000000, bytes = 00000000000000000000, quota = 00000000000000001000, mode = byte, overquota = no } = q;',
  '',
].join('\n');
const rules = (name: string) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m nfacct --nfacct-name ${name} -j DROP\nCOMMIT\n`;
const verdict = (name: string, files: { nfacct?: string } = { nfacct }) => {
  const h = host({ ...files, iptables: rules(name) });
  const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp' }), h, 'eth0');
  return r.unsupported ? 'unsupported' : r.verdict;
};

describe('-m nfacct', () => {
  it('matches every packet for an object without a quota', () => {
    expect(verdict('plain')).toBe('drop');
  });
  it('is unsupported for an object with a quota (its running count decides) and without nfacct.txt', () => {
    expect(verdict('q')).toBe('unsupported');
    expect(verdict('plain', {})).toBe('unsupported');
  });
  it('refuses a rule naming an object nfacct.txt does not have, as the kernel does', () => {
    const h = host({ nfacct, iptables: rules('nope') });
    expect(() => loadRuleset(h)).toThrow(/iptables.rules:5:.*accounting object nope does not exist/);
  });
  it('refuses a malformed nfacct.txt line with file and line', () => {
    const h = host({ nfacct: 'pkts 1\n', iptables: rules('plain') });
    expect(() => loadRuleset(h)).toThrow(/nfacct.txt:1:1: Error: not an nfacct object line/);
  });
});
