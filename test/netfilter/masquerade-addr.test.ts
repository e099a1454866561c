// nf_nat_masquerade_ipv4 takes inet_select_addr(out, nexthop, RT_SCOPE_UNIVERSE): an out device
// without an address (a routed pod veth, ptp CNI style) takes the first primary global address of
// the namespace's devices in dev_base order. Measured: fixtures/kernel/kube-iptables frame 9 (a
// ClusterIP connection from 192.168.0.50 masqueraded out eth1, which has no address, leaves with
// 192.168.0.2, eth0's; the endpoint's SYN-ACK to 192.168.0.2 finds it, frame 10).
import { describe, expect, it } from 'vitest';
import { inetSelectAddrUniverse } from '../../src/kernel/netfilter/nf_nat.js';
import { parseIPv4 } from '../../src/kernel/netfilter/ir.js';
import { dev } from './helpers.js';

const ip = (s: string) => parseIPv4(s)!;

describe('masquerade source address (inet_select_addr, RT_SCOPE_UNIVERSE)', () => {
  const lo = dev(1, 'lo', ['127.0.0.1/8'], 'loopback');
  lo.addrs[0]!.scope = 'host';
  const eth0 = dev(2, 'eth0', ['192.168.0.2/24']);
  const eth1 = dev(3, 'eth1');
  const multi = dev(4, 'eth2', ['10.1.0.1/24', '10.2.0.1/24']);
  it('an out device without addresses takes the first global address in device order, never loopback', () => {
    expect(inetSelectAddrUniverse(eth1, ip('10.180.0.1'), [eth1, lo, eth0])).toBe(ip('192.168.0.2'));
  });
  it('an out device with addresses prefers the one in the next hop subnet, else its first', () => {
    expect(inetSelectAddrUniverse(multi, ip('10.2.0.9'), [lo, eth0, multi])).toBe(ip('10.2.0.1'));
    expect(inetSelectAddrUniverse(multi, ip('8.8.8.8'), [lo, eth0, multi])).toBe(ip('10.1.0.1'));
  });
  it('no global address anywhere: 0 (the kernel drops: "ate my IP address")', () => {
    expect(inetSelectAddrUniverse(eth1, ip('10.180.0.1'), [lo, eth1])).toBe(0);
  });
});
