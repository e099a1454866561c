// 802.1Q receive, written from net/8021q/vlan_core.c vlan_do_receive and the check_vlan_id block
// of net/core/dev.c __netif_receive_skb_core. The recording kernel has no 8021q driver, so the
// VLAN device here is added to a loaded sample host by hand (as `ip -d link` would describe it).
import { describe, expect, test } from 'vitest';
import { skb_vlan_untag, vlan_do_receive, vlan_no_dev } from '../../src/kernel/core/vlan.js';
import { PACKET_HOST, PACKET_OTHERHOST } from '../../src/kernel/skbuff.js';
import type { NetDevice } from '../../src/host/types.js';
import { at, eth, mac, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';

function setup(vlanUp = true, vlanMac = '02:00:00:00:01:01') {
  const host = sample('router');
  const eth0 = host.byName.get('eth0')!;
  const v: NetDevice = {
    ifindex: 99, name: 'eth0.10', kind: 'vlan', mtu: 1500, mac: mac(vlanMac), macStr: vlanMac, up: vlanUp,
    flags: new Set(vlanUp ? ['UP', 'BROADCAST', 'MULTICAST'] : ['BROADCAST', 'MULTICAST']), operstate: vlanUp ? 'UP' : 'DOWN',
    master: null, vlan: { id: 10, protocol: 0x8100, link: eth0.ifindex }, gro: true, addrs: [],
  };
  host.devices.push(v); host.byName.set(v.name, v); host.byIndex.set(v.ifindex, v);
  const net = netFor(host);
  at(net, 1000);
  return { net, eth0, v };
}
function tagged(dst: string, vid: number, inner = 0x0800): Uint8Array {
  const p = new Uint8Array(4 + 46);
  p[0] = vid >> 8; p[1] = vid & 255; p[2] = inner >> 8; p[3] = inner & 255;
  return eth(dst, '02:00:00:00:01:02', 0x8100, p);
}
function rx(net: ReturnType<typeof setup>['net'], f: Uint8Array, dev: NetDevice) {
  const skb = skbOn(f, dev);
  expect(skb_vlan_untag(skb)).toBe(true);
  return skb;
}

describe('vlan_do_receive', () => {
  test('moves a VID 10 frame to eth0.10, clears the tag; the inner protocol is IPv4', () => {
    const { net, eth0, v } = setup();
    const skb = rx(net, tagged('02:00:00:00:01:01', 10), eth0);
    const ctx = newCtx();
    expect(vlan_do_receive(net, skb, ctx)).toBe(true);
    expect(skb.dev).toBe(v);
    expect(skb.vlan_present).toBe(false);
    expect(skb.protocol).toBe(0x0800);
    expect(skb.network_header).toBe(18);
  });

  test('a frame OTHERHOST on the lower device becomes HOST when it is for the VLAN device MAC', () => {
    const { net, eth0 } = setup(true, '02:00:00:00:0a:0a');
    const skb = rx(net, tagged('02:00:00:00:0a:0a', 10), eth0);
    expect(skb.pkt_type).toBe(PACKET_OTHERHOST);
    vlan_do_receive(net, skb, newCtx());
    expect(skb.pkt_type).toBe(PACKET_HOST);
  });

  test('a VLAN device that is down: the frame is freed (kfree_skb, NOT_SPECIFIED)', () => {
    const { net, eth0 } = setup(false);
    const ctx = newCtx();
    expect(vlan_do_receive(net, rx(net, tagged('02:00:00:00:01:01', 10), eth0), ctx)).toBe(false);
    expect(ctx.toRecord()).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
  });

  test('no VLAN device for the VID: stays on eth0; check_vlan_id marks it PACKET_OTHERHOST', () => {
    const { net, eth0 } = setup();
    const skb = rx(net, tagged('02:00:00:00:01:01', 20), eth0);
    const ctx = newCtx();
    expect(vlan_do_receive(net, skb, ctx)).toBe(false);
    expect(ctx.fate).toBeNull();
    expect(vlan_no_dev(net, skb, ctx)).toBe(false);
    expect(skb.pkt_type).toBe(PACKET_OTHERHOST);
  });

  test('a priority tag (VID 0) without a VID 0 device is ignored: tag cleared, pkt_type kept', () => {
    const { net, eth0 } = setup();
    const skb = rx(net, tagged('02:00:00:00:01:01', 0), eth0);
    const ctx = newCtx();
    vlan_do_receive(net, skb, ctx);
    vlan_no_dev(net, skb, ctx);
    expect(skb.vlan_present).toBe(false);
    expect(skb.pkt_type).toBe(PACKET_HOST);
  });
});
