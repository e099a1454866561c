// ip6_mc_input on a snapshot without ip-maddr.json (fixtures/kernel/ipv6: eth0 fd00:1::1/64 and
// fe80::ff:fe00:101, eth1 fd00:2::1/64; forwarding on): the groups every IPv6 device joins itself
// are known without the file (addrconf: all-nodes ff02::1 (ipv6_add_dev), the solicited-node group
// of each address (addrconf_join_solict), all-routers ff02::2 while forwarding (dev_forward_change));
// any other group may have been joined by an application, which the snapshot cannot tell: the
// drop is then reported unsupported instead of passed off as the kernel's answer.
// Also ip6_parse_tlv's options the model does not interpret (jumbo payload 0xc2, CALIPSO 7, home
// address 0xc9: net/ipv6/exthdrs.c tlvprochopopt_lst / tlvprocdestopt_lst) are reported unsupported.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadHost } from '../../src/host/load.js';
import { parseIpv6 } from '../../src/packet/addr.js';
import { writeIpv6Hdr, writeUdpHdr, fillL4ChecksumV6 } from '../../src/packet/build.js';
import { run, eth, expectFate, udp6 } from './helpers.js';

const host = loadHost(join(import.meta.dirname, '../../fixtures/kernel/ipv6/host'));
const CM = '02:00:00:00:01:02';

function mc(group: string, mac: string) {
  return run(host, eth(mac, CM, 0x86dd, udp6('fd00:1::2', group, 40000, 53)), 'eth0').rec;
}

describe('ip6_mc_input without ip-maddr.json', () => {
  it('all-nodes ff02::1, all-routers ff02::2 (forwarding) and our solicited-node group are joined: UDP :53 delivered', () => {
    for (const [g, m] of [['ff02::1', '33:33:00:00:00:01'], ['ff02::2', '33:33:00:00:00:02'], ['ff02::1:ff00:1', '33:33:ff:00:00:01']]) {
      expectFate(mc(g, m)).delivered('udp [::]:53');
    }
  });
  it('another solicited-node group: not joined, and the kernel alone joins those (nothing unsupported)', () => {
    const rec = mc('ff02::1:ff00:77', '33:33:ff:00:00:77');
    expectFate(rec).dropped('NOT_SPECIFIED', 'ip6_mc_input').event('ip6_mc_input', /^group ff02::1:ff00:77 not joined on eth0$/);
    expect(rec.unsupported).toBeUndefined();
  });
  it('ff02::16 (MLDv2 routers, joined by multicast routers only): not joined, nothing unsupported', () => {
    const rec = mc('ff02::16', '33:33:00:00:00:16');
    expectFate(rec).dropped('NOT_SPECIFIED', 'ip6_mc_input');
    expect(rec.unsupported).toBeUndefined();
  });
  it('ff02::1:3 (an application group): dropped, but reported unsupported (memberships not in the snapshot)', () => {
    const rec = mc('ff02::1:3', '33:33:00:01:00:03');
    expectFate(rec).dropped('NOT_SPECIFIED', 'ip6_mc_input').event('ip6_mc_input', /\(memberships not in the snapshot\)$/);
    expect(rec.unsupported?.join(' ')).toMatch(/no ip-maddr\.json/);
  });
});

describe('ip6_parse_tlv: options the model does not interpret are reported', () => {
  /** UDP to fd00:1::1 :53 behind a hop-by-hop (nh 0) or destination options (nh 60) header with one option */
  function withOpt(nh: number, type: number, data: number[]): Uint8Array {
    const optlen = 2 + data.length;
    const hdr = Math.ceil((2 + optlen) / 8) * 8;
    const b = new Uint8Array(40 + hdr + 8 + 4);
    writeIpv6Hdr(b, 0, 0, 0, hdr + 12, nh, 64, parseIpv6('fd00:1::2')!, 0, parseIpv6('fd00:1::1')!, 0);
    b[40] = 17;
    b[41] = hdr / 8 - 1;
    b.set([type, data.length, ...data], 42);
    const pad = hdr - 2 - optlen;
    if (pad === 1) b[42 + optlen] = 0;
    else if (pad > 1) b.set([1, pad - 2], 42 + optlen);
    writeUdpHdr(b, 40 + hdr, 40000, 53, 12);
    fillL4ChecksumV6(b, 0, 40 + hdr, 12, 17);
    return eth('02:00:00:00:01:01', CM, 0x86dd, b);
  }
  it('a router alert (5) in hop-by-hop passes without a note; CALIPSO (7) is noted', () => {
    const ra = run(host, withOpt(0, 5, [0, 0]), 'eth0').rec;
    expectFate(ra).delivered('udp [::]:53');
    expect(ra.unsupported).toBeUndefined();
    const cal = run(host, withOpt(0, 7, [0, 0, 0, 0, 0, 0, 0, 0]), 'eth0').rec;
    expect(cal.unsupported).toContain('IPv6 option type 7 not interpreted');
  });
  it('a home address option (0xc9) in destination options is noted', () => {
    const rec = run(host, withOpt(60, 0xc9, new Array(16).fill(0)), 'eth0').rec;
    expect(rec.unsupported).toContain('IPv6 option type 201 not interpreted');
  });
  it('an option whose length byte is past the header: IP_INHDR in ip6_parse_tlv', () => {
    // hop-by-hop of 8 bytes: PadN of 2 (bytes 2-5 is 1, 2, 0, 0... ), then type 0x1e at the last byte
    const b = new Uint8Array(40 + 8 + 12);
    writeIpv6Hdr(b, 0, 0, 0, 20, 0, 64, parseIpv6('fd00:1::2')!, 0, parseIpv6('fd00:1::1')!, 0);
    b.set([17, 0, 1, 3, 0, 0, 0, 0x1e], 40);
    writeUdpHdr(b, 48, 40000, 53, 12);
    fillL4ChecksumV6(b, 0, 48, 12, 17);
    expectFate(run(host, eth('02:00:00:00:01:01', CM, 0x86dd, b), 'eth0').rec).dropped('IP_INHDR', 'ip6_parse_tlv');
  });
});

describe('ip6_rcv_core: a packet of just the 40-byte header', () => {
  // `if (!pskb_may_pull(skb, sizeof(*hdr))) goto err;`: 40 bytes are enough. Next header 59 with
  // payload length 0: no next header, freed where ipv6-exthdr's recording freed one (dst_discard_out)
  it('passes the header checks and is freed NOT_SPECIFIED as "no next header", not IP_INHDR', () => {
    const b = new Uint8Array(40);
    writeIpv6Hdr(b, 0, 0, 0, 0, 59, 64, parseIpv6('fd00:1::2')!, 0, parseIpv6('fd00:1::1')!, 0);
    expectFate(run(host, eth('02:00:00:00:01:01', CM, 0x86dd, b), 'eth0').rec).dropped('NOT_SPECIFIED', 'dst_discard');
  });
});
