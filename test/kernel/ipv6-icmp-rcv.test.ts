// icmpv6_rcv's echo knobs and a fragment cut by the capture, on the ipv6-exthdr host (eth0
// fd00:1::1/64, client fd00:1::2 a permanent neighbour).
// net/ipv6/icmp.c (6.x): `case ICMPV6_ECHO_REQUEST: if (!net->ipv6.sysctl.icmpv6_echo_ignore_all)
// reason = icmpv6_echo_reply(skb);` with reason starting as SKB_DROP_REASON_NOT_SPECIFIED, and
// icmpv6_echo_reply returns it unchanged when `ipv6_addr_is_multicast(daddr) &&
// icmpv6_echo_ignore_multicast`; icmpv6_rcv ends `if (reason) kfree_skb_reason(skb, reason)`.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadHost } from '../../src/host/load.js';
import { parseIpv6 } from '../../src/packet/addr.js';
import { writeIpv6Hdr, fillL4ChecksumV6 } from '../../src/packet/build.js';
import { createNet } from '../../src/kernel/net.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { eth_type_trans, netif_receive_skb } from '../../src/kernel/core/dev.js';
import { run, eth, expectFate } from './helpers.js';

const HOSTDIR = join(import.meta.dirname, '../../fixtures/kernel/ipv6-exthdr/host');

function echo(dst: string): Uint8Array {
  const b = new Uint8Array(40 + 12);
  writeIpv6Hdr(b, 0, 0, 0, 12, 58, 64, parseIpv6('fd00:1::2')!, 0, parseIpv6(dst)!, 0);
  b.set([128, 0, 0, 0, 0x12, 0x34, 0, 1, 0x70, 0x6b, 0x74, 0x21], 40);
  fillL4ChecksumV6(b, 0, 40, 12, 58);
  return eth(dst.startsWith('ff02') ? '33:33:00:00:00:01' : '02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, b);
}

function withSysctl(k: string, v: string) {
  const host = loadHost(HOSTDIR);
  host.sysctls.raw.set(k, v);
  return host;
}

describe('icmpv6_rcv echo knobs', () => {
  it('echo_ignore_all: no reply, the request freed NOT_SPECIFIED in icmpv6_rcv', () => {
    const host = withSysctl('net.ipv6.icmp.echo_ignore_all', '1');
    expectFate(run(host, echo('fd00:1::1'), 'eth0').rec).dropped('NOT_SPECIFIED', 'icmpv6_rcv').noReply();
  });
  it('echo_ignore_multicast: no reply to ff02::1, a unicast echo still answered', () => {
    const host = withSysctl('net.ipv6.icmp.echo_ignore_multicast', '1');
    const net = createNet(host, { checksums: 'verify' });
    expectFate(run(host, echo('ff02::1'), 'eth0', net).rec).dropped('NOT_SPECIFIED', 'icmpv6_rcv').noReply();
    expectFate(run(host, echo('fd00:1::1'), 'eth0', net).rec).consumed().reply('eth0', /^IP6 fd00:1::1 > fd00:1::2: ICMP6, echo reply, id 4660, seq 1/);
  });
  it('without the knobs both are answered (the multicast one from the address of eth0)', () => {
    const host = loadHost(HOSTDIR);
    const net = createNet(host, { checksums: 'verify' });
    expectFate(run(host, echo('ff02::1'), 'eth0', net).rec).consumed().reply('eth0', /^IP6 fd00:1::1 > fd00:1::2: ICMP6, echo reply/);
  });
});

describe('ipv6_frag_rcv on a fragment the capture cut short', () => {
  it('is reported unsupported (reassembly needs the whole fragment) and dropped', () => {
    const host = loadHost(HOSTDIR);
    const b = new Uint8Array(40 + 8 + 64);
    writeIpv6Hdr(b, 0, 0, 0, 8 + 64, 44, 64, parseIpv6('fd00:1::2')!, 0, parseIpv6('fd00:1::1')!, 0);
    b.set([17, 0, 0, 1, 0, 0, 0, 9], 40); // offset 0, M: a first fragment
    const frame = eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, b);
    // a snaplen of 80: the wire frame is 126 bytes
    const net = createNet(host, { checksums: 'verify' });
    const ctx = new FrameCtx();
    ctx.reset(1);
    const dev = host.byName.get('eth0')!;
    const skb = new SkBuff(frame, 80, frame.length);
    skb.dev = dev;
    skb.indev = dev;
    eth_type_trans(skb, dev, 0);
    netif_receive_skb(net, skb, ctx);
    const rec = ctx.toRecord();
    expectFate(rec).dropped('NOT_SPECIFIED', 'ipv6_frag_rcv');
    expect(rec.unsupported?.some((u) => /snaplen/.test(u))).toBe(true);
  });
});

describe('the hop limit of the host\'s ICMPv6 answers', () => {
  // icmpv6_echo_reply / icmp6_send: hlimit = ip6_sk_dst_hoplimit(np, &fl6, dst); the ICMPv6 socket
  // has no hop limit of its own (-1), so ip6_dst_hoplimit: the route's device's idev->cnf.hop_limit
  // (net.ipv6.conf.<dev>.hop_limit). The recorded answers of ipv6-exthdr carry 64 (the default;
  // test/kernel/ipv6-exthdr-bytes.test.ts).
  function answerHlim(host: ReturnType<typeof loadHost>, frame: Uint8Array): number[] {
    const net = createNet(host, { checksums: 'verify' });
    const out: number[] = [];
    net.summarize = (b) => {
      out.push(b[14 + 7]);
      return '';
    };
    const ctx = new FrameCtx();
    ctx.reset(1);
    const dev = host.byName.get('eth0')!;
    const skb = new SkBuff(frame, frame.length);
    skb.dev = dev;
    skb.indev = dev;
    eth_type_trans(skb, dev, 0);
    netif_receive_skb(net, skb, ctx);
    return out;
  }
  it('an echo reply and a port unreachable take eth0\'s hop_limit (200 here), not 64', () => {
    const host = withSysctl('net.ipv6.conf.eth0.hop_limit', '200');
    expect(answerHlim(host, echo('fd00:1::1'))).toEqual([200]);
    const b = new Uint8Array(40 + 12);
    writeIpv6Hdr(b, 0, 0, 0, 12, 17, 64, parseIpv6('fd00:1::2')!, 0, parseIpv6('fd00:1::1')!, 0);
    b.set([0xa4, 0x10, 0, 54, 0, 12, 0, 0, 1, 2, 3, 4], 40);
    fillL4ChecksumV6(b, 0, 40, 12, 17);
    expect(answerHlim(host, eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, b))).toEqual([200]);
  });
});
