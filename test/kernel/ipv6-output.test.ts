// ip6_output / ip6_finish_output2 (net/ipv6/ip6_output.c, 6.x) where no recording reaches:
// - __ip6_finish_output: `if ((skb->len > mtu && !skb_is_gso(skb)) || dst_allfrag(skb_dst(skb)) ||
//   (IP6CB(skb)->frag_max_size && skb->len > IP6CB(skb)->frag_max_size)) return ip6_fragment(...)`,
//   and ip6_fragment cuts to mtu = frag_max_size (when smaller than the device's): (mtu - 40 - 8) & ~7
//   data bytes a fragment. A datagram conntrack reassembled (nf_ct_frag6_reasm: frag_max_size =
//   sizeof(struct ipv6hdr) + the largest fragment's payload_len) leaves as one packet when its length
//   is not above that, else cut again (the kernel-measured case is in fx-followups.test.ts);
// - ip6_finish_output2 -> neigh_output on a neighbour without an address: the packet waits in the
//   entry's queue and ndisc_solicit sends a neighbour solicitation from the packet's source to the
//   solicited-node group of the next hop (ndisc_send_ns).
// Host: the "router" sample (eth0 2001:db8:1::1/64, eth1 2001:db8:2::1/64, forwarding on).
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import { createNet, type Net } from '../../src/kernel/net.js';
import { parseIpv6 } from '../../src/packet/addr.js';
import { run, eth, expectFate, sample, udp6 } from './helpers.js';

const host = sample('router');
const RMAC = host.byName.get('eth0')!.macStr!;

/** a fragment (id 0x1234) of a UDP datagram from 2001:db8:1::2 to 2001:db8:2::2 (forwarded to eth1) */
function frag(off: number, more: boolean, data: Uint8Array): Uint8Array {
  const p = new Uint8Array(48 + data.length);
  p.set([0x60, 0, 0, 0, 0, 8 + data.length, 44, 64]);
  p.set(parseIpv6('2001:db8:1::2')!, 8);
  p.set(parseIpv6('2001:db8:2::2')!, 24);
  const fo = off | (more ? 1 : 0);
  p.set([17, 0, fo >> 8, fo & 0xff, 0, 0, 0x12, 0x34], 40);
  p.set(data, 48);
  return eth(RMAC, '02:00:00:00:01:02', 0x86dd, p);
}

/** a namespace whose netfilter only says conntrack is in use (nf_defrag_ipv6 registered) */
function ctNet(): Net {
  const n = createNet(host, { checksums: 'trust' });
  n.nf = { nf_hook: () => ({ verdict: 'accept', verdicts: [] }), active: () => false, defrag: () => true };
  return n;
}

/** the egress of the last of `sizes` fragments (data bytes each) of one datagram, through conntrack */
function forwardedAs(sizes: number[]): string[] | undefined {
  const net = ctNet();
  const total = sizes.reduce((a, b) => a + b, 0);
  const l4 = new Uint8Array(total);
  l4.set([0x9c, 0x40, 0, 53, total >> 8, total & 0xff, 0, 0]);
  let off = 0;
  let rec;
  for (let i = 0; i < sizes.length; i++) {
    rec = run(host, frag(off, i < sizes.length - 1, l4.subarray(off, off + sizes[i])), 'eth0', net, { checksums: 'trust' }).rec;
    if (i < sizes.length - 1) expect(rec.fate).toBe('consumed');
    off += sizes[i];
  }
  expect(rec!.fate).toBe('forwarded');
  return rec!.egress;
}

describe('a datagram conntrack reassembled, forwarded (__ip6_finish_output, frag_max_size)', () => {
  it('16 + 8 data bytes: 64 bytes long, frag_max_size 40 + 24 = 64: not above it, one packet', () => {
    expect(forwardedAs([16, 8])).toEqual(['eth1']);
  });
  it('16 + 16: 72 bytes > 64: cut again at (64 - 48) & ~7 = 16 data bytes, two fragments', () => {
    expect(forwardedAs([16, 16])).toEqual(['eth1', 'eth1']);
  });
  it('16 + 16 + 8: 80 bytes > 64: 40 data bytes in fragments of 16, three', () => {
    expect(forwardedAs([16, 16, 8])).toEqual(['eth1', 'eth1', 'eth1']);
  });
});

describe('an answer to a peer without a neighbour entry waits for it (ip6_finish_output2 -> ndisc_solicit)', () => {
  it('port unreachable to 2001:db8:1::99 on eth0: a neighbour solicitation goes out instead, the answer waits', () => {
    const f = eth(RMAC, '02:00:00:00:01:02', 0x86dd, udp6('2001:db8:1::99', '2001:db8:1::1', 40000, 9));
    const { rec } = run(host, f, 'eth0');
    expectFate(rec)
      .dropped('NO_SOCKET')
      .reply('eth0', /^IP6 2001:db8:1::1 > ff02::1:ff00:99: ICMP6, neighbor solicitation, who has 2001:db8:1::99/)
      .event('ip6_finish_output2', /^reply waits for neighbour 2001:db8:1::99$/);
  });
});

describe('ndisc_send_ns without a link-local address (net/ipv6/ndisc.c)', () => {
  // ndisc_send_ns: `if (!saddr) { if (ipv6_get_lladdr(dev, &addr_buf, (IFA_F_TENTATIVE | IFA_F_OPTIMISTIC)))
  // return; saddr = &addr_buf; }`: a forwarded packet's solicitation comes from the link-local
  // address of the output device; without one no solicitation goes out
  function routerWithout(linkLocalOn: string | null) {
    const dir = mkdtempSync(join(tmpdir(), 'ip6out-'));
    cpSync(new URL('../../fixtures/host-samples/router', import.meta.url).pathname, dir, { recursive: true });
    const p = join(dir, 'ip-addr.json');
    const links = JSON.parse(readFileSync(p, 'utf8')) as { ifname: string; addr_info: { family: string; scope?: string }[] }[];
    for (const l of links) if (l.ifname === linkLocalOn) l.addr_info = l.addr_info.filter((a) => !(a.family === 'inet6' && a.scope === 'link'));
    writeFileSync(p, JSON.stringify(links));
    return loadHost(dir);
  }
  const fwd = () => eth(RMAC, '02:00:00:00:01:02', 0x86dd, udp6('2001:db8:1::2', '2001:db8:2::9', 40000, 53));
  it('with eth1\'s link-local address: an NS from fe80::ff:fe00:201 to ff02::1:ff00:9', () => {
    const { rec } = run(routerWithout(null), fwd(), 'eth0');
    expect(rec.replies?.map((r) => r.summary)).toContain('IP6 fe80::ff:fe00:201 > ff02::1:ff00:9: ICMP6, neighbor solicitation, who has 2001:db8:2::9, length 32');
  });
  it('without it: no solicitation, the step says why', () => {
    const { rec } = run(routerWithout('eth1'), fwd(), 'eth0');
    expect(rec.replies ?? []).toEqual([]);
    expectFate(rec).event('ndisc_send_ns', /^eth1 has no link-local address: no solicitation$/);
  });
});
