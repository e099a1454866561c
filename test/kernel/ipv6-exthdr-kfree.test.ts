// Where the kernel freed each frame of the IPv6 fixtures (kfree_skb/consume_skb location
// in evidence/tracepoints.txt, the last event of expected.ndjson) is where pktlife's timeline says it
// dropped it. The conformance test compares fate and reason only; this pins the function names the
// timeline shows. A static function the compiler inlined into its caller shows as the caller in the
// kernel's location: those pairs are listed with the reason.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../../src/replay.js';

const FX = join(import.meta.dirname, '../../fixtures/kernel');
type Rec = { frame: number; fate: string; events: { fn: string; what: string }[] };
const load = (dir: string): Rec[] => readFileSync(join(dir, 'expected.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);

/** kernel location -> the model's names for the same free (inlined callees, return-a-reason handlers) */
const SAME: Record<string, string[]> = {
  // ip6_protocol_deliver_rcu is inlined into ip6_input_finish
  ip6_input_finish: ['ip6_protocol_deliver_rcu'],
  // dst_discard is a one-line wrapper of dst_discard_out
  dst_discard_out: ['dst_discard'],
  // ip6_pkt_drop is static, inlined into ip6_pkt_discard / ip6_pkt_prohibit
  ip6_pkt_discard: ['ip6_pkt_drop'],
  ip6_pkt_prohibit: ['ip6_pkt_drop'],
  // __udp6_lib_mcast_deliver is inlined into __udp6_lib_rcv
  __udp6_lib_rcv: ['__udp6_lib_mcast_deliver'],
  // ndisc_rcv and its handlers return a drop reason; icmpv6_rcv calls kfree_skb_reason with it
  icmpv6_rcv: ['ndisc_rcv', 'ndisc_recv_ns', 'ndisc_recv_na', 'ndisc_recv_rs', 'ndisc_router_discovery'],
};

// scenario -> the fewest dropped frames it has (so a broken replay cannot pass with nothing compared)
const SCENARIOS: Record<string, number> = { 'ipv6-exthdr': 60, 'ipv6-ctfrag': 6, 'ipv6-ndisc': 4 };

describe('IPv6 scenarios: the frame is freed in the kernel function that freed it on 6.18', () => {
  for (const [name, min] of Object.entries(SCENARIOS)) {
    // replayed inside the test, not at describe level: mutation testing attributes coverage per test
    it(`${name}: each dropped frame's drop step names the kernel location (or its inlined callee)`, () => {
      const dir = join(FX, name);
      const expected = load(dir);
      const model = [...replay(join(dir, 'frames.pcapng'), join(dir, 'host'), { checksums: 'verify' })].map((it) => it.record);
      expect(model.length).toBe(expected.length);
      const wrong: string[] = [];
      let n = 0;
      for (const k of expected) {
        if (k.fate !== 'dropped') continue;
        const kfn = k.events[k.events.length - 1].fn;
        const m = model[k.frame - 1];
        const drop = m.events.filter((e) => e.what.startsWith('drop ')).pop();
        n++;
        if (!drop || (drop.fn !== kfn && !SAME[kfn]?.includes(drop.fn))) wrong.push(`frame ${k.frame}: kernel ${kfn}, pktlife ${drop?.fn}`);
      }
      expect(n).toBeGreaterThanOrEqual(min);
      expect(wrong).toEqual([]);
    });
  }
});
