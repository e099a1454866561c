// The comparison helpers: ISN normalisation and field comparison, on hand-written records.
import { describe, expect, it } from 'vitest';
import type { FateRecord } from '../../src/kernel/fate.js';
import { compare, normaliseIsn } from './fixtures.js';

const rec = (summary: string): FateRecord => ({ frame: 1, fate: 'consumed', replies: [{ iface: 'eth0', summary }], events: [] });

describe('normaliseIsn', () => {
  it("writes a SYN-ACK's seq as ISN and later host seqs relative to the kernel's ISN of the flow", () => {
    const rs = [
      rec('IP 10.0.1.1.80 > 10.0.1.2.41000: Flags [S.], seq 777, ack 1001, win 64240, options [mss 1460], length 0'),
      rec('IP 10.0.1.1.80 > 10.0.1.2.41000: Flags [R], seq 4294967295, win 0, length 0'),
      rec('IP 10.0.1.1.80 > 10.0.1.2.41000: Flags [P.], seq 1:6, ack 1006, win 502, length 5'),
      rec('IP 10.0.1.1.81 > 10.0.1.2.41000: Flags [R.], seq 0, ack 5001, win 0, length 0'),
    ];
    normaliseIsn(rs, { '10.0.1.1.80>10.0.1.2.41000': 4294967290 });
    expect(rs.map((r) => r.replies![0].summary)).toEqual([
      'IP 10.0.1.1.80 > 10.0.1.2.41000: Flags [S.], seq ISN, ack 1001, win 64240, options [mss 1460], length 0',
      'IP 10.0.1.1.80 > 10.0.1.2.41000: Flags [R], seq ISN+5, win 0, length 0', // wraps past 2^32
      'IP 10.0.1.1.80 > 10.0.1.2.41000: Flags [P.], seq ISN+7:ISN+12, ack 1006, win 502, length 5',
      'IP 10.0.1.1.81 > 10.0.1.2.41000: Flags [R.], seq 0, ack 5001, win 0, length 0', // no SYN-ACK on :81: untouched
    ]);
  });
});

describe('compare', () => {
  it('treats egress and replies as sets, verdicts as an ordered list of (hook, family, table, chain, verdict)', () => {
    const k: FateRecord = {
      frame: 3, fate: 'bridged', egress: ['eth1', 'eth2'],
      replies: [{ iface: 'eth0', summary: 'a' }, { iface: 'eth0', summary: 'b' }],
      verdicts: [{ hook: 'forward', family: 'bridge', table: 'filter', chain: 'forward', verdict: 'accept' }], events: [],
    };
    const m: FateRecord = { ...k, egress: ['eth2', 'eth1'], replies: [k.replies![1], k.replies![0]], verdicts: [{ ...k.verdicts![0], rule: '4' }], events: [{ fn: 'x', what: 'y' }] };
    expect(compare(k, m)).toEqual([]);
    expect(compare(k, { ...m, fate: 'forwarded', verdicts: [{ ...k.verdicts![0], chain: 'FORWARD' }] }).map((d) => d.field)).toEqual(['fate', 'verdicts']);
    expect(compare(k, undefined)).toEqual([{ field: 'fate', exp: 'bridged', got: '(no record)' }]);
  });
});
