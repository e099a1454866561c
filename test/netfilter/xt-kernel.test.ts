// iptables matches against the real kernel: fixtures/rulesets/evidence/xt-kernel-check.sh sent one
// UDP datagram at a time through OUTPUT of a fresh namespace (kernel 6.18, iptables 1.8.9) and
// recorded which ones each rule matched (xt-kernel-check.txt); the same rules and datagrams here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_OUT } from '../../src/kernel/netfilter/hook.js';
import { dev, host, hooks, run, skb4 } from './helpers.js';

const E = 'fixtures/rulesets/evidence';
const recorded = new Map(readFileSync(`${E}/xt-kernel-check.txt`, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
const TYPES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT'];
const rules = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
  '-A OUTPUT -p udp --dport 9999 -m statistic --mode nth --every 3 --packet 1 -j DROP',
  '-A OUTPUT -p udp --dport 9998 -m statistic --mode nth ! --every 3 --packet 0 -j DROP',
  '-A OUTPUT -p udp --dport 9997 -m recent --set --name T',
  '-A OUTPUT -p udp --dport 9997 -m recent --update --seconds 60 --hitcount 4 --name T -j DROP',
  ...TYPES.map((t) => `-A OUTPUT -p udp --dport 9996 -m addrtype --dst-type ${t} -j LOG --log-prefix "${t}"`),
  '-A OUTPUT -p udp --dport 9996 -j DROP', 'COMMIT', ''].join('\n');

describe('statistic nth, recent, addrtype as the kernel matched them', () => {
  const h = host({ iptables: rules }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'xt-d', ['10.0.1.1/24'])]);
  const nf = hooks(h);
  it('the same datagrams are dropped', () => {
    for (const port of ['9999', '9998', '9997']) {
      const got = Array.from({ length: 8 }, (_, i) => (run(nf, NFPROTO_IPV4, NF_INET_LOCAL_OUT, skb4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 'udp', dport: Number(port), t: 100 + i }), h, undefined, 'lo').verdict === 'drop' ? 1 : 0));
      expect(`${port}: ${got.join(' ')}`).toBe(`${port}: ${recorded.get(port)}`);
    }
  });
  it('the same address types (10.0.1.255 on 10.0.1.0/24 added without brd is BROADCAST)', () => {
    for (const dst of ['10.0.1.255', '10.0.1.0', '10.0.1.7', '10.0.1.1']) {
      const r = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_OUT, skb4({ src: '10.0.1.1', dst, proto: 'udp', dport: 9996 }), h, undefined, dst === '10.0.1.1' ? 'lo' : 'xt-d');
      const types = r.events.filter((e) => e.fn === 'nf_log_packet').map((e) => /prefix "(\w+)"/.exec(e.what)![1]).join(' ');
      expect(`${dst}: ${types}`).toBe(`${dst}: ${recorded.get(dst)}`);
    }
  });
});
