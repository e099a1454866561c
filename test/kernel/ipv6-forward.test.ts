// ip6_forward (net/ipv6/ip6_output.c, 6.x) checks no recording reaches, on the ipv6-paths host
// (eth0 fd00:1::1/64, eth1 fd00:2::1/64 mtu 1280 with fd00:2::2 a permanent neighbour; forwarding on):
// - `if (!READ_ONCE(net->ipv6.devconf_all->forwarding) && ...) goto error;` (error: IP_INADDRERRORS)
// - for a packet not going back out its input device: `addrtype = ipv6_addr_type(&hdr->saddr); if
//   (addrtype == IPV6_ADDR_ANY || addrtype & (IPV6_ADDR_MULTICAST | IPV6_ADDR_LOOPBACK)) goto error;`
// - `mtu = ip6_dst_mtu_maybe_forward(dst, true); if (mtu < IPV6_MIN_MTU) mtu = IPV6_MIN_MTU;` and
//   ip6_pkt_too_big: `skb->len > mtu` (not at equality).
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import { run, eth, expectFate, udp6 } from './helpers.js';
import { parseIpv6 } from '../../src/packet/addr.js';
import { writeIpv6Hdr, writeUdpHdr, fillL4ChecksumV6 } from '../../src/packet/build.js';

const HOSTDIR = join(import.meta.dirname, '../../fixtures/kernel/ipv6-paths/host');
const HM = '02:00:00:00:01:01';
const CM = '02:00:00:00:01:02';

/** UDP of `len` bytes in all (IPv6 header included) from src to dst */
function udpLen(src: string, dst: string, len: number): Uint8Array {
  const b = new Uint8Array(len);
  writeIpv6Hdr(b, 0, 0, 0, len - 40, 17, 64, parseIpv6(src)!, 0, parseIpv6(dst)!, 0);
  writeUdpHdr(b, 40, 40000, 53, len - 40);
  fillL4ChecksumV6(b, 0, 40, len - 40, 17);
  return b;
}

describe('ip6_forward', () => {
  it('all.forwarding=0: IP_INADDRERRORS in ip6_forward', () => {
    const host = loadHost(HOSTDIR);
    for (const k of ['all', 'default', 'eth0', 'eth1', 'eth2', 'lo']) host.sysctls.raw.set(`net.ipv6.conf.${k}.forwarding`, '0');
    const { rec } = run(host, eth(HM, CM, 0x86dd, udp6('fd00:1::2', 'fd00:2::2', 40000, 53)), 'eth0');
    expectFate(rec).dropped('IP_INADDRERRORS', 'ip6_forward').noReply();
    // the step names the knob this test turned off
    expect(rec.events.find((e) => e.fn === 'ip6_forward')?.detail).toEqual({ why: 'net.ipv6.conf.all.forwarding=0' });
  });
  it('source :: to another device: IP_INADDRERRORS, no error sent', () => {
    expectFate(run(loadHost(HOSTDIR), eth(HM, CM, 0x86dd, udp6('::', 'fd00:2::2', 40000, 53)), 'eth0').rec).dropped('IP_INADDRERRORS', 'ip6_forward').noReply();
  });
  // ipv6_addr_type: only fe80::/10 is IPV6_ADDR_LINKLOCAL (icmpv6_send ICMPV6_NOT_NEIGHBOUR, IP_INADDRERRORS);
  // a site-local fec0::/10 or a ULA fd80::/16 source is forwarded
  it('sources fec0::5 (site-local) and fd80::5 (ULA, second byte 0x80) are forwarded to eth1', () => {
    for (const src of ['fec0::5', 'fd80::5']) expectFate(run(loadHost(HOSTDIR), eth(HM, CM, 0x86dd, udp6(src, 'fd00:2::2', 40000, 53)), 'eth0').rec).forwarded('eth1');
  });
  it('source ::1 on lo (where ip6_rcv_core lets a loopback address pass) to fd00:2::2: IP_INADDRERRORS in ip6_forward', () => {
    const f = eth('00:00:00:00:00:00', '00:00:00:00:00:00', 0x86dd, udp6('::1', 'fd00:2::2', 40000, 53));
    expectFate(run(loadHost(HOSTDIR), f, 'lo').rec).dropped('IP_INADDRERRORS', 'ip6_forward').noReply();
  });
  it('a route with mtu 1000 counts as 1280 (IPV6_MIN_MTU): 1280 bytes pass, 1281 get packet too big mtu 1280', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ip6fwd-'));
    cpSync(HOSTDIR, dir, { recursive: true });
    const p = join(dir, 'ip6-route.json');
    writeFileSync(p, JSON.stringify([...JSON.parse(readFileSync(p, 'utf8')), { dst: 'fd00:66::/64', gateway: 'fd00:2::2', dev: 'eth1', metric: 1024, flags: [], metrics: [{ mtu: 1000 }], pref: 'medium' }]));
    const host = loadHost(dir);
    expect(host.routes.find((r) => r.dstStr === 'fd00:66::/64')?.mtu, 'the route\'s mtu as loaded').toBe(1000);
    expectFate(run(host, eth(HM, CM, 0x86dd, udpLen('fd00:1::2', 'fd00:66::5', 1280)), 'eth0').rec).forwarded('eth1');
    expectFate(run(host, eth(HM, CM, 0x86dd, udpLen('fd00:1::2', 'fd00:66::5', 1281)), 'eth0').rec)
      .dropped('PKT_TOO_BIG', 'ip6_forward')
      .reply('eth0', /^IP6 fd00:1::1 > fd00:1::2: ICMP6, packet too big, mtu 1280, length 1240$/);
  });
});
