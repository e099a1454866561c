// Multicast delivery by group membership: ip_check_mc_rcu (IPv4) and ipv6_chk_mcast_addr
// (ip6_mc_input) over the groups the snapshot's ip-maddr.json (`ip -j maddr show`) lists, which
// include every application's IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP.
// fixtures/host-samples/mcast is `pktlife snapshot --netns mch` taken by
// test/kernel/mcast-kernel-measure.py with a UDP socket on 0.0.0.0:5353 joined to 224.0.0.251 on
// eth0 and one on [::]:5353 joined to ff02::fb. What the 6.18 kernel did with each datagram there:
//   224.0.0.251:5353   read by udp 0.0.0.0:5353, no free        -> delivered
//   224.0.0.251:9999   kfree_skb __udp4_lib_rcv NOT_SPECIFIED   -> dropped NOT_SPECIFIED
//   224.0.0.252:5355   kfree_skb ip_rcv_finish_core NOT_SPECIFIED (group not joined)
//   224.0.0.1:5353     read by udp 0.0.0.0:5353                 -> delivered
//   [ff02::fb]:5353    read by udp [::]:5353                    -> delivered
//   [ff02::1:3]:5355   kfree_skb ip6_mc_input NOT_SPECIFIED (group not joined)
//   [ff02::fb]:9999    kfree_skb __udp6_lib_rcv NOT_SPECIFIED
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { loadHost, loadHostFromFiles } from '../../src/host/load.js';
import { HostError } from '../../src/host/errors.js';
import { sample, run, eth, udp4, udp6, expectFate } from './helpers.js';

const host = sample('mcast');
const HM = '02:00:00:00:07:01';
const PM = '02:00:00:00:07:02';
const mc4 = (g: string): string => {
  const p = g.split('.').map(Number);
  return ['01', '00', '5e', (p[1]! & 0x7f).toString(16), p[2]!.toString(16), p[3]!.toString(16)].map((x) => x.padStart(2, '0')).join(':');
};
const v4 = (g: string, dport: number, sport = 5353) => eth(mc4(g), PM, 0x0800, udp4('10.7.0.2', g, sport, dport, new Uint8Array(2), { ttl: 1 }));
const v6 = (g: string, last4: string, dport: number, sport = 5353) => eth(`33:33:${last4}`, PM, 0x86dd, udp6('fd00:7::2', g, sport, dport, 255));

describe('multicast group memberships from ip-maddr.json (measured on 6.18)', () => {
  it('loads every device\'s groups, the application\'s among the kernel\'s own', () => {
    const e0 = host.byName.get('eth0')!;
    expect(e0.mcast).toBeDefined();
    expect([...e0.mcast!.v4].sort()).toEqual([0xe0000001, 0xe00000fb]);
    expect(e0.mcast!.v6.size).toBe(5);
    expect(host.byName.get('lo')!.mcast!.v4.has(0xe0000001)).toBe(true);
  });

  it('IPv4: a joined group reaches the socket on its port; other ports and other groups are NOT_SPECIFIED', () => {
    const ok = run(host, v4('224.0.0.251', 5353), 'eth0').rec;
    expectFate(ok).delivered('udp 0.0.0.0:5353');
    expect(ok.unsupported).toBeUndefined();
    expectFate(run(host, v4('224.0.0.251', 9999), 'eth0').rec).dropped('NOT_SPECIFIED', '__udp4_lib_mcast_deliver');
    const not = run(host, v4('224.0.0.252', 5355, 5355), 'eth0').rec;
    expectFate(not).dropped('NOT_SPECIFIED');
    // the snapshot says which groups are joined: nothing unknown about it
    expect(not.unsupported).toBeUndefined();
    expectFate(run(host, v4('224.0.0.1', 5353), 'eth0').rec).delivered('udp 0.0.0.0:5353');
  });

  it('IPv6: a joined group reaches the socket; a group not joined is dropped at ip6_mc_input', () => {
    expectFate(run(host, v6('ff02::fb', '00:00:00:fb', 5353), 'eth0').rec).delivered('udp [::]:5353');
    const not = run(host, v6('ff02::1:3', '00:01:00:03', 5355, 5355), 'eth0').rec;
    expectFate(not).dropped('NOT_SPECIFIED', 'ip6_mc_input');
    expect(not.unsupported).toBeUndefined();
    expectFate(run(host, v6('ff02::fb', '00:00:00:fb', 9999), 'eth0').rec).dropped('NOT_SPECIFIED');
  });

  it('without ip-maddr.json an application group is dropped but marked unknown; groups only the kernel joins are not', () => {
    const files: Record<string, string> = {};
    const dir = new URL('../../fixtures/host-samples/mcast/', import.meta.url).pathname;
    for (const f of readdirSync(dir)) if (f !== 'ip-maddr.json' && f !== 'snapshot.json') files[f] = readFileSync(dir + f, 'utf8');
    const bare = loadHostFromFiles(files, '(no ip-maddr.json)');
    expect(bare.byName.get('eth0')!.mcast).toBeUndefined();
    const app4 = run(bare, v4('224.0.0.251', 5353), 'eth0').rec;
    expectFate(app4).dropped('NOT_SPECIFIED');
    expect(app4.unsupported?.join(' ')).toMatch(/ip-maddr\.json/);
    const app6 = run(bare, v6('ff02::fb', '00:00:00:fb', 5353), 'eth0').rec;
    expectFate(app6).dropped('NOT_SPECIFIED', 'ip6_mc_input');
    expect(app6.unsupported?.join(' ')).toMatch(/ip-maddr\.json/);
    // a solicited-node group of an address the host does not have: only the kernel joins those
    const sn = run(bare, v6('ff02::1:ff00:99', 'ff:00:00:99', 5355, 5355), 'eth0').rec;
    expectFate(sn).dropped('NOT_SPECIFIED', 'ip6_mc_input');
    expect(sn.unsupported).toBeUndefined();
    // all-hosts stays joined without the file
    expectFate(run(bare, v4('224.0.0.1', 5353), 'eth0').rec).delivered('udp 0.0.0.0:5353');
  });

  it('a file that does not fit the snapshot is an error naming the file, the entry and the problem', () => {
    const dir = new URL('../../fixtures/host-samples/mcast/', import.meta.url).pathname;
    const base: Record<string, string> = { 'ip-link.json': readFileSync(dir + 'ip-link.json', 'utf8'), 'ip-addr.json': readFileSync(dir + 'ip-addr.json', 'utf8') };
    const bad = (maddr: unknown): string => {
      try {
        loadHostFromFiles({ ...base, 'ip-maddr.json': JSON.stringify(maddr) });
      } catch (e) {
        expect(e).toBeInstanceOf(HostError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(bad([{ ifindex: 9, ifname: 'eth9', maddr: [] }])).toMatch(/ip-maddr\.json.*\[0\]\.ifname.*"eth9".*not in/);
    expect(bad([{ ifindex: 7, ifname: 'eth0', maddr: [] }])).toMatch(/ip-maddr\.json.*\[0\]\.ifindex.*ifindex 7 here but 2 in ip-link\.json/);
    expect(bad([{ ifindex: 2, ifname: 'eth0', maddr: [{ family: 'inet', address: '10.0.0.1' }] }])).toMatch(/\[0\]\.maddr\[0\]\.address.*IPv4 multicast/);
    expect(bad([{ ifindex: 2, ifname: 'eth0', maddr: [{ family: 'inet6', address: 'fe80::1' }] }])).toMatch(/IPv6 multicast/);
    expect(bad([{ ifindex: 2, ifname: 'eth0', maddr: [{ family: 'ipx', address: 'x' }] }])).toMatch(/unknown family "ipx"/);
    expect(bad([{ ifindex: 2, ifname: 'eth0', maddr: [{ address: '224.0.0.9' }] }])).toMatch(/expected "family"/);
    expect(bad({})).toMatch(/ip-maddr\.json.*expected an array/);
    // the sample itself loads
    expect(() => loadHost(dir)).not.toThrow();
  });
});
