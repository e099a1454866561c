// The TTL of the packets ICMP builds: icmp_reply and __icmp_send send through the per-netns ICMP
// control socket, whose uc_ttl is -1, so ip_select_ttl gives the route's hoplimit metric or
// net.ipv4.ip_default_ttl (net/ipv4/icmp.c icmp_push_reply -> ip_push_pending_frames ->
// __ip_make_skb: iph->ttl = ip_select_ttl(inet, &rt->dst)). The router sample's routes have no
// hoplimit, so a host with ip_default_ttl 99 answers with TTL 99 (64 is the default).
import { describe, it, expect } from 'vitest';
import { createNet } from '../../src/kernel/net.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { eth_type_trans, netif_receive_skb } from '../../src/kernel/core/dev.js';
import { sample, eth, echo4, udp4 } from './helpers.js';

/** the frames the host sends in answer to `ip` arriving on eth0 */
function answers(ttl: string | null, ip: Uint8Array): Uint8Array[] {
  const host = sample('router');
  if (ttl !== null) host.sysctls.raw.set('net.ipv4.ip_default_ttl', ttl);
  const net = createNet(host, { checksums: 'verify' });
  const sent: Uint8Array[] = [];
  net.summarize = (b, len) => (sent.push(b.slice(0, len)), 'reply');
  const ctx = new FrameCtx();
  ctx.reset(1);
  const dev = host.byName.get('eth0')!;
  const f = eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, ip);
  const skb = new SkBuff(f, f.length);
  skb.dev = dev;
  skb.indev = dev;
  eth_type_trans(skb, dev, 0);
  netif_receive_skb(net, skb, ctx);
  return sent;
}

describe('ICMP packets the host builds take net.ipv4.ip_default_ttl', () => {
  it('echo reply (icmp_reply)', () => {
    const [r] = answers('99', echo4('10.1.0.2', '10.2.0.1'));
    expect(r).toBeDefined();
    // Ethernet 14 + IPv4: ttl at byte 8, protocol 1, ICMP type 0
    expect([r![14 + 8], r![14 + 9], r![34]]).toEqual([99, 1, 0]);
  });
  it('port unreachable (__icmp_send)', () => {
    const [r] = answers('99', udp4('10.1.0.2', '10.2.0.1', 1000, 5555));
    expect(r).toBeDefined();
    expect([r![14 + 8], r![14 + 9], r![34], r![35]]).toEqual([99, 1, 3, 3]);
  });
  it('the default is 64', () => {
    const [r] = answers(null, echo4('10.1.0.2', '10.2.0.1'));
    expect(r![14 + 8]).toBe(64);
  });
});
