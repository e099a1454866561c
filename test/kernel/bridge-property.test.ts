// Property: whatever bytes arrive on a bridge port or the bridge itself, the L2 code never throws
// and the frame ends with exactly one fate (settled by the first decision, FrameCtx semantics).
// Deterministic: a fixed-seed xorshift generator mutates valid ARP, NDP and bridged frames.
import { expect, test } from 'vitest';
import { br_handle_frame } from '../../src/kernel/bridge/br_input.js';
import { arp_rcv } from '../../src/kernel/ipv4/arp.js';
import { ndisc_rcv } from '../../src/kernel/ipv6/ndisc.js';
import { arpBody, at, eth, ip6, mac, nd, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

test('random mutations of ARP, NDP and bridged frames always end with one fate and never throw', () => {
  const host = sample('bridge');
  const net = netFor(host);
  at(net, 1000);
  const ports = ['p1', 'p2', 'p3'].map((n) => host.byName.get(n)!);
  const br0 = host.byName.get('br0')!;
  const seeds = [
    eth('ff:ff:ff:ff:ff:ff', '02:00:00:00:0c:02', 0x0806, arpBody(1, '02:00:00:00:0c:02', '192.168.10.12', '00:00:00:00:00:00', '192.168.10.1')),
    eth('33:33:ff:00:00:01', '02:00:00:00:0c:02', 0x86dd, nd('fd00:10::2', 'ff02::1:ff00:1', 135, [0, 0, 0, 0, ...ip6('fd00:10::1'), 1, 1, ...mac('02:00:00:00:0c:02')])),
    eth('02:00:00:00:0c:01', '02:00:00:00:0c:02', 0x0800, new Uint8Array(46)),
    eth('01:80:c2:00:00:00', '02:00:00:00:0c:02', 0x0026, new Uint8Array(46)),
  ];
  const r = rng(0x5eed);
  let n = 0;
  for (let i = 0; i < 1500; i++) {
    const base = seeds[r() % seeds.length];
    const len = Math.max(14, base.length - (r() % 8 === 0 ? r() % base.length : 0));
    const f = base.slice(0, len);
    const flips = 1 + (r() % 4);
    for (let k = 0; k < flips; k++) f[r() % f.length] = r() & 255;
    const ctx = newCtx(i + 1);
    const where = r() % 4;
    if (where < 3) {
      const skb = skbOn(f, ports[where]);
      if (br_handle_frame(net, skb, ctx) === 'pass') continue; // the device layer goes on
    } else {
      const skb = skbOn(f, br0);
      skb.transport_header = 54;
      if (skb.protocol === 0x0806) arp_rcv(net, skb, ctx);
      else if (skb.protocol === 0x86dd && f.length > 54 && f[20] === 58 && f[54] >= 133 && f[54] <= 137) ndisc_rcv(net, skb, ctx);
      else continue;
    }
    const rec = ctx.toRecord();
    expect(rec.events.some((e) => e.what.includes('model ended without a fate')), JSON.stringify(rec)).toBe(false);
    expect(['delivered', 'forwarded', 'bridged', 'dropped', 'consumed']).toContain(rec.fate);
    if (rec.fate === 'dropped') expect(rec.reason).toMatch(/^[A-Z0-9_]+$/);
    if (rec.fate === 'bridged') expect(rec.egress!.length).toBeGreaterThan(0);
    n++;
  }
  expect(n).toBeGreaterThan(700);
});
