// ICMP errors the host sends carry the offending packet's conntrack entry (net/ipv4/icmp.c
// icmp_glue_bits -> nf_ct_attach -> nf_conntrack_attach: RELATED_REPLY for an original-direction
// packet), and a RELATED ICMP error goes straight to nf_nat_icmp_reply_translation at every nat
// hook (nf_nat_ipv4_fn), which drops a redirect when the connection is NATed or its NAT is not set
// up both ways. The host is the kernel snapshot of fixtures/kernel/kube-iptables (pods on routed
// veths eth1 10.180.0.1, eth2 10.180.0.3; ip nat chains present); expectations as recorded there
// (nstat IcmpOutRedirects +1, IpOutDiscards +1, no redirect in the peer capture).
import { describe, expect, it } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import { createReplayNet } from '../../src/replay.js';
import { eth, run, tcp4 } from './helpers.js';

const HOST = new URL('../../fixtures/kernel/kube-iptables/host/', import.meta.url).pathname;
const E2 = '02:00:00:00:b4:03';
const P3_MAC = '0a:58:0a:b4:00:03';
const SYN = 0x02;
/** the replay's namespace, with the snapshot's rules (iptables-save, nfacct.txt) */
const node = () => { const host = loadHost(HOST); return { host, net: createReplayNet(host, { checksums: 'verify' }).net }; };

describe('ICMP errors and conntrack (nf_ct_attach)', () => {
  it('the hairpin SYN (pod to a service DNATed back to itself) is forwarded; its redirect is dropped at the nat OUTPUT hook (kube-iptables frame 43)', () => {
    const { host, net } = node();
    const { rec } = run(host, eth(E2, P3_MAC, 0x0800, tcp4('10.180.0.3', '172.30.0.43', 41008, 80, SYN, 1700)), 'eth2', net);
    expect(rec).toMatchObject({ fate: 'forwarded', egress: ['eth2'] });
    // built and routed back out eth2, never sent (the recording's peer capture saw nothing)
    expect(rec.replies).toEqual([{ iface: 'eth2', summary: expect.stringMatching(/ICMP redirect 10\.180\.0\.3 to host 10\.180\.0\.3/), dropped: 'NETFILTER_DROP' }]);
    const drop = rec.events.find((e) => e.fn === 'nf_nat_icmp_reply_translation');
    expect(drop?.what).toMatch(/redirect for a NATed connection: NF_DROP/);
  });
  it('without NAT the first packet\'s redirect dies too: SRC_NAT_DONE is set only at POSTROUTING, after ip_forward sent it (measured with counter chains at output -120 and -50)', () => {
    const { host, net } = node();
    const { rec } = run(host, eth(E2, P3_MAC, 0x0800, tcp4('10.180.0.3', '10.180.0.3', 41100, 81, SYN, 1700)), 'eth2', net);
    expect(rec).toMatchObject({ fate: 'forwarded', egress: ['eth2'] });
    expect(rec.replies).toEqual([{ iface: 'eth2', summary: expect.stringMatching(/ICMP redirect/), dropped: 'NETFILTER_DROP' }]);
    expect(rec.events.find((e) => e.fn === 'nf_nat_icmp_reply_translation')?.what).toMatch(/not set up both ways: NF_DROP/);
  });
});
