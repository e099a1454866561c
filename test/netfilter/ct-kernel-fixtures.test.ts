// The kernel recordings that exercise the conntrack helpers, the flowtable and netdev fwd/dup
// (fixtures/kernel/ct-helper-ftp, ct-helper-tftp, nft-flowtable, nft-fwd-dup), compared on
// fate, drop reason, egress, replies, verdicts and trace exactly as test/conformance/kernel-fixtures.test.ts
// does for every scenario (known disagreements honoured). Kept beside the code they pin so a
// mutation run of nf_conntrack_helper/ftp, nf_flow_table* and nf_dup_netdev can use these four
// recordings without replaying all fifty (MUTATE_TESTS, docs/testing.md).
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/replay.js';
import { openCapture } from '../../src/capture/reader.js';
import { DIR_OUTBOUND } from '../../src/capture/types.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { FIELDS, HOST_SENT_FIELDS, compare, kernelIsns, kernelTraces, knownDisagreements, modelTrace, nftChainRules, normaliseIsn, scenarios } from '../conformance/fixtures.js';

const WANTED = ['ct-helper-ftp', 'ct-helper-tftp', 'nft-flowtable', 'nft-fwd-dup'];

describe('conntrack helpers, flowtable and fwd/dup against their kernel recordings', () => {
  const all = scenarios().filter((s) => WANTED.includes(s.name));
  it('has the four recordings', () => {
    expect(all.map((s) => s.name).sort()).toEqual(WANTED);
  });
  const known = knownDisagreements();
  for (const s of all) {
    it(s.name, () => {
      const pcap = join(s.dir, 'frames.pcapng');
      const hostSent = new Set<number>();
      let n = 0;
      const cap = openCapture(pcap);
      for (const f of cap) {
        n++;
        if (f.direction === DIR_OUTBOUND) hostSent.add(n);
      }
      cap.close();
      const meta = JSON.parse(readFileSync(join(s.dir, 'scenario.json'), 'utf8')) as { bpf?: string[] };
      const got: FateRecord[] = [];
      for (const r of replay(pcap, join(s.dir, 'host'), meta.bpf ? { checksums: 'verify', bpf: meta.bpf } : { checksums: 'verify' })) got.push(JSON.parse(JSON.stringify(r.record)) as FateRecord);
      normaliseIsn(got, kernelIsns(s.dir));
      const byFrame = new Map(got.map((r) => [r.frame, r]));
      const kTraces = kernelTraces(s.dir);
      const chains = nftChainRules(join(s.dir, 'host'));
      const bad: string[] = [];
      for (const exp of s.expected) {
        const mine = byFrame.get(exp.frame);
        const kt = kTraces.get(exp.frame);
        const trace = kt && mine ? { exp: kt, got: modelTrace(mine, chains) } : undefined;
        const diffs = compare(exp, mine, hostSent.has(exp.frame) ? HOST_SENT_FIELDS : FIELDS, trace);
        const listed = known.filter((k) => k.scenario === s.name && k.frame === exp.frame);
        for (const d of diffs) if (!listed.some((k) => k.field === d.field)) bad.push(`frame ${exp.frame} ${d.field}: kernel ${d.exp} | pktlife ${d.got}`);
      }
      expect(bad).toEqual([]);
      expect(got.length).toBe(s.expected.length);
    });
  }
});
