// Family and hook names as the timeline prints them: the NFPROTO_* numbers of
// include/uapi/linux/netfilter.h named the way nft names its families (nftables src/rule.c
// family2str: ip, ip6, inet, arp, bridge, netdev), the hooks after enum nf_inet_hooks,
// nf_dev_hooks (ingress 0, egress 1) and the arp hooks (NF_ARP_IN 0, NF_ARP_OUT 1, NF_ARP_FORWARD 2).
import { describe, expect, it } from 'vitest';
import { NullNfHooks, hookName, pfName } from '../../src/kernel/netfilter/hook.js';
import type { TimelineEvent } from '../../src/kernel/fate.js';

describe('pfName / hookName', () => {
  it('names every NFPROTO_* by its number, an unknown one by the number', () => {
    expect([1, 2, 3, 5, 7, 10, 12].map(pfName)).toEqual(['inet', 'ip', 'arp', 'netdev', 'bridge', 'ip6', 'pf12']);
  });
  it('names the hooks of each family; an unknown hook by its number', () => {
    expect([0, 1, 2, 3, 4, 5].map((h) => hookName(2, h))).toEqual(['prerouting', 'input', 'forward', 'output', 'postrouting', 'hook5']);
    expect([0, 1, 2].map((h) => hookName(5, h))).toEqual(['ingress', 'egress', 'hook2']);
    expect([0, 1, 2, 3].map((h) => hookName(3, h))).toEqual(['input', 'output', 'forward', 'hook3']);
    // bridge hooks share the inet numbers (NF_BR_PRE_ROUTING 0 ... NF_BR_POST_ROUTING 4)
    expect(hookName(7, 2)).toBe('forward');
  });
  it('without a rule set every hook accepts and the timeline names it (nf_hook_slow: no entries)', () => {
    const events: TimelineEvent[] = [];
    const nf = new NullNfHooks();
    expect(nf.nf_hook({ pf: 7, hook: 2, in: null, out: null }, null as never, events)).toEqual({ verdict: 'accept', verdicts: [] });
    nf.nf_hook({ pf: 5, hook: 0, in: null, out: null }, null as never, events);
    expect(events).toEqual([{ fn: 'nf_hook_slow', what: 'bridge forward: no rules, NF_ACCEPT' }, { fn: 'nf_hook_slow', what: 'netdev ingress: no rules, NF_ACCEPT' }]);
    expect(nf.active()).toBe(false);
  });
});
