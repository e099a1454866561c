// Kernel-model follow-ups, each written from the kernel function cited in its test.
import { describe, expect, test } from 'vitest';
import { br_handle_frame } from '../../src/kernel/bridge/br_input.js';
import { at, eth, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';

const H1 = '02:00:00:00:0c:01';
const BR = '02:00:00:00:0b:00';

/** IPv4 UDP 10.9.0.2 -> dst, header checksum correct */
function udp4(dst: [number, number, number, number]): Uint8Array {
  const p = new Uint8Array(28);
  p.set([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 10, 2, ...dst]);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (p[i] << 8) | p[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  p[10] = c >> 8; p[11] = c & 255;
  p.set([0x9c, 0x40, 0, 9, 0, 8, 0, 0], 20);
  return p;
}

describe('ip_sabotage_in (net/bridge/br_netfilter_hooks.c)', () => {
  // br_nf_pre_routing runs NF_INET_PRE_ROUTING with in = the bridge; a frame it passes up to the
  // host then reaches ip_rcv, whose PRE_ROUTING starts with ip_sabotage_in (NF_IP_PRI_FIRST):
  // nf_bridge->in_prerouting is clear, so it calls okfn (ip_rcv_finish) itself and returns
  // NF_STOLEN: the IP PRE_ROUTING hook runs once per frame, not twice.
  test('a frame bridged up to the host crosses ip PRE_ROUTING once, then LOCAL_IN', () => {
    const host = sample('bridge');
    host.sysctls.raw.set('net.bridge.bridge-nf-call-iptables', '1');
    const net = netFor(host);
    at(net, 1000);
    const seen: string[] = [];
    net.nf = {
      nf_hook(st) { seen.push(`${st.pf}/${st.hook}/${st.in?.name ?? '-'}`); return { verdict: 'accept', verdicts: [] }; },
      active: () => true,
    };
    const ctx = newCtx();
    br_handle_frame(net, skbOn(eth(BR, H1, 0x0800, udp4([192, 168, 10, 1])), host.byName.get('p1')!), ctx);
    // NFPROTO_BRIDGE=7, NFPROTO_IPV4=2; hook 0 prerouting, 1 local in
    expect(seen.filter((s) => s.startsWith('2/0/'))).toEqual(['2/0/br0']);
    expect(seen).toContain('2/1/br0');
    expect(ctx.toRecord().events.some((e) => e.fn === 'ip_sabotage_in')).toBe(true);
  });

  test('without br_netfilter the host path still runs ip PRE_ROUTING itself', () => {
    const host = sample('bridge');
    host.sysctls.raw.set('net.bridge.bridge-nf-call-iptables', '0');
    const net = netFor(host);
    at(net, 1000);
    const seen: string[] = [];
    net.nf = { nf_hook(st) { seen.push(`${st.pf}/${st.hook}/${st.in?.name ?? '-'}`); return { verdict: 'accept', verdicts: [] }; }, active: () => true };
    br_handle_frame(net, skbOn(eth(BR, H1, 0x0800, udp4([192, 168, 10, 1])), host.byName.get('p1')!), newCtx());
    expect(seen.filter((s) => s.startsWith('2/0/'))).toEqual(['2/0/br0']);
  });
});
