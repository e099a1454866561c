// tc and netdev-family chains on bridge ports. The host is the kernel snapshot of
// fixtures/kernel/tc-bridge (br0 over eth0/eth1/eth2, eth3 no port; eth2 tc egress drops udp dport
// 7010, ARP replies and NA, redirects udp dport 7011 out of eth3; eth1 netdev egress chain drops
// udp dport 7030); each expectation is what that recording saw for the same frame (frame numbers
// in the titles). Order (net/core/dev.c, net/bridge/br_forward.c): sch_handle_ingress and
// nf_ingress on the port before its rx_handler br_handle_frame; br_dev_queue_push_xmit ->
// dev_queue_xmit -> nf_hook_egress, sch_handle_egress for every copy the bridge sends out.
import { describe, expect, it } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import type { Net } from '../../src/kernel/net.js';
import { createReplayNet } from '../../src/replay.js';
import { eth, expectFate, run, udp4 } from './helpers.js';
import { ip6, nd } from './bridge-helpers.js';

const HOST = new URL('../../fixtures/kernel/tc-bridge/host/', import.meta.url).pathname;
const BR = '02:00:00:00:05:01';
const A = '02:00:00:00:05:0a';
const B = '02:00:00:00:05:0b';
const C = '02:00:00:00:05:0c';
const IA = '10.0.5.10';

function arp(op: number, sha: string, spa: string, tpa: string): Uint8Array {
  const b = new Uint8Array(28);
  b.set([0, 1, 8, 0, 6, 4, 0, op]);
  b.set(sha.split(':').map((x) => parseInt(x, 16)), 8);
  b.set(spa.split('.').map(Number), 14);
  b.set(tpa.split('.').map(Number), 24);
  return b;
}

/** a namespace that learned A on eth0, B on eth1, C on eth2 (the recording's frames 2-3 and a frame from A) */
function learned(): { host: ReturnType<typeof loadHost>; net: Net } {
  const host = loadHost(HOST);
  // the replay's namespace: netfilter from the snapshot's nft.txt (the netdev table kfnd)
  const net: Net = createReplayNet(host, { checksums: 'verify' }).net;
  for (const [src, ip, dev] of [[A, IA, 'eth0'], [B, '10.0.5.11', 'eth1'], [C, '10.0.5.12', 'eth2']] as const) {
    run(host, eth('02:00:00:00:05:77', src, 0x0800, udp4(ip, '10.0.5.77', 5000, 5000)), dev, net);
  }
  return { host, net };
}

describe('tc and netdev chains on bridge ports', () => {
  it('a frame bridged to a port whose tc egress drops it: dropped TC_EGRESS at sch_handle_egress, after br_dev_queue_push_xmit (frame 8)', () => {
    const { host, net } = learned();
    const { rec } = run(host, eth(C, A, 0x0800, udp4(IA, '10.0.5.12', 5000, 7010)), 'eth0', net);
    expectFate(rec).dropped('TC_EGRESS', 'sch_handle_egress');
    expect(rec.egress ?? []).toEqual([]);
    const fns = rec.events.map((e) => e.fn);
    expect(fns.indexOf('br_dev_queue_push_xmit')).toBeLessThan(fns.indexOf('sch_handle_egress'));
    expect(fns.indexOf('br_handle_frame')).toBeGreaterThan(-1);
  });

  it('the port passes other traffic: bridged to eth2 (frame 10)', () => {
    const { host, net } = learned();
    const { rec } = run(host, eth(C, A, 0x0800, udp4(IA, '10.0.5.12', 5000, 7012)), 'eth0', net);
    expect(rec).toMatchObject({ fate: 'bridged', egress: ['eth2'] });
  });

  it('a u32 redirect at the port egress sends the frame out of eth3 instead (forwarded, frame 9)', () => {
    const { host, net } = learned();
    const { rec } = run(host, eth(C, A, 0x0800, udp4(IA, '10.0.5.12', 5000, 7011)), 'eth0', net);
    expectFate(rec).forwarded('eth3').event('tcf_mirred_act');
  });

  it('a broadcast: the eth2 copy dropped at its tc egress is only that copy; bridged by eth1 (frame 11)', () => {
    const { host, net } = learned();
    const { rec } = run(host, eth('ff:ff:ff:ff:ff:ff', A, 0x0800, udp4(IA, '10.0.5.255', 5000, 7010)), 'eth0', net);
    expect(rec).toMatchObject({ fate: 'bridged', egress: ['eth1'] });
    expectFate(rec).event('sch_handle_egress', /drop TC_EGRESS/);
  });

  it('a flood copy the eth1 netdev egress chain drops: bridged by eth2, the chain verdict drop (frame 32)', () => {
    const { host, net } = learned();
    const { rec } = run(host, eth('ff:ff:ff:ff:ff:ff', A, 0x0800, udp4(IA, '10.0.5.255', 5000, 7030)), 'eth0', net);
    expect(rec).toMatchObject({ fate: 'bridged', egress: ['eth2'] });
    expect(rec.verdicts?.map((v) => `${v.family} ${v.chain} ${v.verdict}`)).toEqual(['netdev out1 drop']);
  });

  it('a flood with every copy dropped: the reason is the last port\'s (br_flood gives it the own skb): eth1 netdev egress NETFILTER_DROP after eth2 tc egress (frame 15)', () => {
    const { host, net } = learned();
    const { rec } = run(host, eth('02:00:00:00:05:96', A, 0x0800, udp4(IA, '10.0.5.96', 5000, 7040)), 'eth0', net);
    // port list newest first (br_add_if): eth2, eth1; eth2's copy is a clone, eth1 gets the frame
    expectFate(rec).dropped('NETFILTER_DROP').event('sch_handle_egress', /drop TC_EGRESS/);
    expect(rec.egress ?? []).toEqual([]);
  });

  it('a unicast frame the eth1 netdev egress chain drops: dropped NETFILTER_DROP (frame 31)', () => {
    const { host, net } = learned();
    const { rec } = run(host, eth(B, A, 0x0800, udp4(IA, '10.0.5.11', 5000, 7030)), 'eth0', net);
    expectFate(rec).dropped('NETFILTER_DROP');
  });

  it("br0's ARP reply leaving eth2 is dropped by eth2's tc egress; the request is still flooded (frame 18)", () => {
    const { host, net } = learned();
    const { rec } = run(host, eth('ff:ff:ff:ff:ff:ff', C, 0x0806, arp(1, C, '10.0.5.12', '10.0.5.1')), 'eth2', net);
    expect(rec.fate).toBe('bridged');
    expect([...(rec.egress ?? [])].sort()).toEqual(['eth0', 'eth1']);
    expect(rec.replies).toEqual([expect.objectContaining({ iface: 'eth2', dropped: 'TC_EGRESS', summary: `ARP, Reply 10.0.5.1 is-at ${BR}, length 28` })]);
  });

  it("br0's ARP reply leaving eth0 passes (eth0 has no egress filter, frame 19)", () => {
    const { host, net } = learned();
    const { rec } = run(host, eth('ff:ff:ff:ff:ff:ff', A, 0x0806, arp(1, A, IA, '10.0.5.1')), 'eth0', net);
    expectFate(rec).reply('eth0', `ARP, Reply 10.0.5.1 is-at ${BR}, length 28`);
    expect(rec.replies!.every((r) => r.dropped === undefined)).toBe(true);
  });

  it("br0's NA answering C's NS is dropped by eth2's tc egress (protocol ipv6, ICMPv6 type 136); the NS is flooded (frame 25)", () => {
    const { host, net } = learned();
    // NS for fd00:5::1 from fd00:5::c to its solicited-node group, source link-layer option C
    const body = [0, 0, 0, 0, ...ip6('fd00:5::1'), 1, 1, ...C.split(':').map((x) => parseInt(x, 16))];
    const { rec } = run(host, eth('33:33:ff:00:00:01', C, 0x86dd, nd('fd00:5::c', 'ff02::1:ff00:1', 135, body)), 'eth2', net);
    expect(rec.fate).toBe('bridged');
    expect([...(rec.egress ?? [])].sort()).toEqual(['eth0', 'eth1']);
    expect(rec.replies).toEqual([expect.objectContaining({ iface: 'eth2', dropped: 'TC_EGRESS', summary: expect.stringMatching(/^IP6 fd00:5::1 > fd00:5::c: ICMP6, neighbor advertisement, tgt is fd00:5::1/) })]);
  });

  it("tc ingress on a port runs before the bridge: eth0's classic BPF drops dport 7002 before br_handle_frame (frame 5)", () => {
    const { host, net } = learned();
    const { rec } = run(host, eth(B, A, 0x0800, udp4(IA, '10.0.5.11', 5000, 7002)), 'eth0', net);
    expectFate(rec).dropped('TC_INGRESS', 'sch_handle_ingress');
    expect(rec.events.some((e) => e.fn === 'br_handle_frame')).toBe(false);
  });
});
