// A capture that holds one direction (`tcpdump -Q in`), checked against the kernel: a scenario with
// `"one_sided": true` in scenario.json was recorded with both directions (the host's own segments
// are outbound frames of frames.pcapng); here its outbound frames are removed, the rest is replayed,
// and every remaining frame is compared with what the kernel did with it (expected.ndjson: fate,
// reason, egress, replies, verdicts, socket, nft trace). The kernel had the host's segments; the
// model has to infer them from the peer's ACKs (docs/netfilter.md, "Captures that hold one
// direction"). A disagreement is listed in known-disagreements.json under "<scenario>@one-sided".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { captureFromBuffer, openCapture } from '../../src/capture/reader.js';
import { DIR_OUTBOUND } from '../../src/capture/types.js';
import { loadHost } from '../../src/host/load.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { replaySource } from '../../src/replay.js';
import { FIELDS, compare, kernelIsns, kernelTraces, knownDisagreements, modelTrace, nftChainRules, normaliseIsn, scenarios } from './fixtures.js';

const oneSided = scenarios().filter((s) => (JSON.parse(readFileSync(join(s.dir, 'scenario.json'), 'utf8')) as { one_sided?: boolean }).one_sided);

/** frames.pcapng without the host's frames, and the original number of each frame kept */
function inboundOnly(path: string): { bytes: Uint8Array; numbers: number[]; dropped: number } {
  const w = new PcapngWriter();
  const ifs = new Map<string, number>();
  const numbers: number[] = [];
  let n = 0, dropped = 0;
  const cap = openCapture(path);
  for (const f of cap) {
    n++;
    if (f.direction === DIR_OUTBOUND) { dropped++; continue; }
    const name = f.iface.name ?? 'eth0';
    let id = ifs.get(name);
    if (id === undefined) ifs.set(name, (id = w.addInterface({ name, linktype: f.iface.linktype })));
    w.writePacket({ iface: id, tsSec: f.tsSec, tsNsec: f.tsNsec, data: f.data, direction: f.direction, comment: f.comment });
    numbers.push(n);
  }
  cap.close();
  return { bytes: w.close(), numbers, dropped };
}

describe('one-sided captures agree with the kernel', () => {
  it('has a scenario recorded for it', () => expect(oneSided.length).toBeGreaterThan(0));
  const known = knownDisagreements();
  for (const s of oneSided) {
    it(`${s.name} without the host's frames`, () => {
      const { bytes, numbers, dropped } = inboundOnly(join(s.dir, 'frames.pcapng'));
      expect(dropped, 'the scenario holds host-sent frames to remove').toBeGreaterThan(0);
      const src = replaySource(captureFromBuffer(bytes, 'one-sided.pcapng'), 'one-sided', loadHost(join(s.dir, 'host')), { checksums: 'verify' });
      const got: FateRecord[] = [];
      for (let it = src.next(); it; it = src.next()) got.push(JSON.parse(JSON.stringify(it.record)) as FateRecord);
      src.close();
      got.forEach((r, i) => (r.frame = numbers[i]!));
      normaliseIsn(got, kernelIsns(s.dir));
      const byFrame = new Map(got.map((r) => [r.frame, r]));
      const kTraces = kernelTraces(s.dir);
      const chains = nftChainRules(join(s.dir, 'host'));
      const name = `${s.name}@one-sided`;
      const bad: string[] = [];
      let agree = 0, knownN = 0;
      for (const exp of s.expected.filter((e) => numbers.includes(e.frame))) {
        const mine = byFrame.get(exp.frame);
        const kt = kTraces.get(exp.frame);
        const diffs = compare(exp, mine, FIELDS, kt && mine ? { exp: kt, got: modelTrace(mine, chains) } : undefined);
        const listed = known.filter((k) => k.scenario === name && k.frame === exp.frame);
        const unlisted = diffs.filter((d) => !listed.some((k) => k.field === d.field));
        if (!diffs.length) agree++;
        else if (!unlisted.length) knownN++;
        for (const d of unlisted) bad.push(`frame ${exp.frame} ${d.field}: kernel ${d.exp} | pktlife ${d.got}`);
      }
      console.log(`one-sided ${s.name}: frames ${numbers.length} (host-sent ${dropped} removed)  agree ${agree}  known ${knownN}  disagree ${numbers.length - agree - knownN}\n${bad.map((b) => '  ' + b).join('\n')}`);
      expect(bad).toEqual([]);
    });
  }
});
