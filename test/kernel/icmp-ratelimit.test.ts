// __icmp_send's per-destination rate limit (net/ipv4/icmp.c icmpv4_mask_allow +
// icmpv4_xrlim_allow -> net/ipv4/inetpeer.c inet_peer_xrlim_allow), derived by hand:
// tokens += now - rate_last, capped at XRLIM_BURST_FACTOR (6) * icmp_ratelimit (1000 ms); a
// message costs icmp_ratelimit. A new peer starts with rate_last = now - 60 s, so full. Limited:
// types whose bit is set in icmp_ratemask (default 0x1818: 3, 4, 11, 12), except frag needed.
import { describe, expect, it } from 'vitest';
import type { Net } from '../../src/kernel/net.js';
import type { Host } from '../../src/host/types.js';
import { sample, run, eth, udp4 } from './helpers.js';
import { InetPeers } from '../../src/kernel/ipv4/inetpeer.js';

const in0 = (ip: Uint8Array) => eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, ip);
/** replies to frames sent at the given capture times (ms), one namespace */
function replies(h: Host, times: number[], frame: () => Uint8Array): number[] {
  let net: Net | undefined;
  const out: number[] = [];
  for (const t of times) {
    // a first frame at capture time 0 makes the namespace (its own port unreachable to 10.1.0.2
    // was 1000 s before the burst: the bucket is full again)
    if (!net) net = run(h, in0(udp4('10.1.0.2', '10.1.0.1', 1, 9)), 'eth0').net;
    net.nowSec = Math.floor(t / 1000);
    net.nowNsec = (t % 1000) * 1e6;
    const r = run(h, in0(frame()), 'eth0', net);
    out.push((r.rec.replies ?? []).filter((x) => /ICMP/.test(x.summary)).length);
  }
  return out;
}
// a UDP datagram to a closed port of the router: port unreachable (type 3 code 3)
const closed = () => udp4('10.1.0.2', '10.1.0.1', 40000, 9);
const T = 1_000_000;
const burst = [T, T + 1, T + 2, T + 3, T + 4, T + 5, T + 6, T + 1005, T + 1006];

describe('icmpv4_xrlim_allow', () => {
  it('port unreachable: a burst of 6, then one per icmp_ratelimit (1000 ms) of tokens', () => {
    // tokens before each: 6000, 5001, 4002, 3003, 2004, 1005, 6 (refused), 6 + 999 = 1005 (sent), 6 (refused)
    expect(replies(sample('router'), burst, closed)).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 0]);
  });
  it('icmp_ratelimit 0 disables it; icmp_ratemask 0 exempts every type', () => {
    for (const [k, v] of [['net.ipv4.icmp_ratelimit', '0'], ['net.ipv4.icmp_ratemask', '0']]) {
      const h = sample('router');
      h.sysctls.raw.set(k, v);
      expect(replies(h, burst, closed), k).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    }
  });
  it('icmp_ratelimit 100: the burst is 600 ms of tokens', () => {
    const h = sample('router');
    h.sysctls.raw.set('net.ipv4.icmp_ratelimit', '100');
    // tokens: 600, 501, 402, 303, 204, 105, 6 (refused), 6 + 999 capped 600 (sent), 501
    expect(replies(h, burst, closed)).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 1]);
  });
  it('frag needed (type 3 code 4) is never limited', () => {
    const big = () => udp4('10.1.0.2', '10.2.0.2', 1000, 9, new Uint8Array(1450));
    expect(replies(sample('router'), burst, big)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('InetPeers.allow (inet_peer_xrlim_allow)', () => {
  it('each key has its own bucket; a cost <= 0 always passes; the cap is burstFactor * cost', () => {
    const p = new InetPeers();
    const got: boolean[] = [];
    for (let i = 0; i < 3; i++) got.push(p.allow('a', 0, 1000, 2));
    expect(got).toEqual([true, true, false]);
    expect(p.allow('b', 0, 1000, 2)).toBe(true);
    expect(p.allow('a', 0, 0)).toBe(true);
    // 'a' has 0 tokens at t=0; at t=999: 999 (refused); at t=1999: 999 + 1000 = 1999 (sent, 999 left)
    expect(p.allow('a', 999, 1000, 2)).toBe(false);
    expect(p.allow('a', 1999, 1000, 2)).toBe(true);
    expect(p.allow('a', 1999, 1000, 2)).toBe(false);
  });
});
