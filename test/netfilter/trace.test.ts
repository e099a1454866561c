// The trace is what `nft monitor trace` prints. Expected lines measured on this machine (kernel 6.18,
// nftables 1.0.6) in a namespace with `meta nftrace set 1` at prerouting -400, one UDP datagram to
// port 7 (twice: the second is not the first packet of its connection) and TCP SYNs to 80 and 5555:
// - nat chains run only when conntrack runs for the packet's family, which a ct match or a NAT
//   statement starts (nf_ct_netns_get), not a nat chain by itself: an empty `ip nat` next to a
//   filter rule without ct prints nothing; the same next to an `ip nat2` chain with a dnat rule
//   prints `ip nat prerouting policy accept` and `ip nat input policy accept` for the first packet
//   only; an ip6 table's ct match does not start conntrack for IPv4;
// - a rule without verdict that matched prints `(verdict continue)`, an explicit return
//   `(verdict return)`, the end of a regular chain nothing, a base chain's end `policy X`, with
//   `meta mark 0x...` after it when the packet has a mark (nftables netlink_events_trace_cb).
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { host, hooks, run, skb4 } from './helpers.js';
import type { TimelineEvent } from '../../src/kernel/fate.js';

const EMPTY_IP_NAT = `table ip nat {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }
  chain input { type nat hook input priority 100; policy accept; }
  chain output { type nat hook output priority -100; policy accept; }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; }
}
`;
const FILTER_COUNTER = `table inet filter {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 7 counter
  }
}
`;
const NAT2_DNAT = `table ip nat2 {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept; tcp dport 9999 dnat to 10.99.0.5; }
}
`;

/** the nft monitor trace lines of a datagram to port 7 at prerouting then input */
function trace(rules: string, n = 2): string[][] {
  const h = host({ nft: rules });
  const nf = hooks(h);
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const skb = skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 40000, dport: 7 });
    const ev: TimelineEvent[] = [];
    ev.push(...run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb, h, 'eth0').events);
    ev.push(...run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb, h, 'eth0').events);
    out.push(ev.filter((e) => e.fn === 'nft_do_chain').map((e) => e.what.replace(/ rule handle \d+/, ' rule')));
  }
  return out;
}

describe('nft monitor trace: nat chains', () => {
  it('empty nat chains without anything that starts conntrack: never traced', () => {
    expect(trace(EMPTY_IP_NAT + FILTER_COUNTER)).toEqual([
      ['inet filter input rule (verdict continue)', 'inet filter input policy accept'],
      ['inet filter input rule (verdict continue)', 'inet filter input policy accept'],
    ]);
  });
  it('the same empty nat chains once a dnat rule elsewhere starts conntrack: traced for the first packet', () => {
    // measured order: ip nat2 prerouting, ip nat prerouting (same priority: the one registered last first)
    expect(trace(EMPTY_IP_NAT + NAT2_DNAT + FILTER_COUNTER)).toEqual([
      ['ip nat2 prerouting policy accept', 'ip nat prerouting policy accept', 'inet filter input rule (verdict continue)', 'inet filter input policy accept', 'ip nat input policy accept'],
      ['inet filter input rule (verdict continue)', 'inet filter input policy accept'],
    ]);
  });
  it('a ct match in an ip6 table starts conntrack for IPv6 only: IPv4 never reaches the nat chains', () => {
    const v6ct = 'table ip6 f6 {\n  chain c { type filter hook input priority 0; ct state established accept; }\n}\n';
    expect(trace(EMPTY_IP_NAT + v6ct + FILTER_COUNTER, 1)).toEqual([['inet filter input rule (verdict continue)', 'inet filter input policy accept']]);
  });
  it('a ct match in an inet table starts it for IPv4: the empty nat chains show for the first packet', () => {
    const rules = EMPTY_IP_NAT + FILTER_COUNTER.replace('udp dport 7 counter', 'udp dport 7 ct state new counter');
    expect(trace(rules)).toEqual([
      ['ip nat prerouting policy accept', 'inet filter input rule (verdict continue)', 'inet filter input policy accept', 'ip nat input policy accept'],
      ['inet filter input rule (verdict continue)', 'inet filter input policy accept'],
    ]);
  });
});

describe('nft monitor trace: rules and policies', () => {
  const RULES = `table inet filter {
  chain sub1 { tcp dport 1234 accept; }
  chain sub2 { counter; return; }
  chain sub3 { tcp dport 80 drop; }
  chain input {
    type filter hook input priority 0; policy accept;
    counter
    jump sub1
    jump sub2
    ip protocol tcp goto sub3
  }
}
`;
  const h = host({ nft: RULES });
  const nf = hooks(h);
  const lines = (dport: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', dport }), h, 'eth0')
    .events.filter((e) => e.fn === 'nft_do_chain').map((e) => e.what.replace(/ rule handle \d+/, ' rule'));
  it('continue, jump, an explicit return, goto and the decision; the end of sub1 (implicit return) prints nothing', () => {
    expect(lines(80)).toEqual([
      'inet filter input rule (verdict continue)', 'inet filter input rule (verdict jump sub1)', 'inet filter input rule (verdict jump sub2)',
      'inet filter sub2 rule (verdict continue)', 'inet filter sub2 rule (verdict return)', 'inet filter input rule (verdict goto sub3)',
      'inet filter sub3 rule (verdict drop)',
    ]);
  });
  it('a goto chain that decides nothing ends in the base chain policy', () => {
    expect(lines(5555).slice(-2)).toEqual(['inet filter input rule (verdict goto sub3)', 'inet filter input policy accept']);
  });
  it('the policy line carries the packet mark when set', () => {
    const hm = host({ nft: 'table ip mangle {\n  chain pre {\n    type filter hook prerouting priority mangle; policy accept;\n    tcp dport 443 meta mark set 0x00000001\n  }\n}\n' });
    const ev = run(hooks(hm), NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', dport: 443 }), hm, 'eth0').events;
    expect(ev.filter((e) => e.fn === 'nft_do_chain').map((e) => e.what.replace(/ rule handle \d+/, ' rule'))).toEqual([
      'ip mangle pre rule (verdict continue)', 'ip mangle pre policy accept meta mark 0x00000001',
    ]);
  });
});
