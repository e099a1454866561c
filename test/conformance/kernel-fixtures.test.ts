// Conformance with the real kernel: every scenario recorded by `npm run fixtures:record` is replayed
// with pktlife and compared field by field with what the kernel did (expected.ndjson). A disagreement
// listed in fixtures/kernel/known-disagreements.json is shown as known, never as a pass; any other
// disagreement fails, and so does a listed one that no longer happens (the list must stay true).
import { replay } from '../../src/replay.js';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { DIR_OUTBOUND } from '../../src/capture/types.js';
import { FIELDS, FIXTURES, HOST_SENT_FIELDS, compare, kernelIsns, kernelTraces, knownDisagreements, modelTrace, nftChainRules, normaliseIsn, scenarios } from './fixtures.js';

const all = scenarios();
const KINDS = new Set(['delivered', 'forwarded', 'bridged', 'sent', 'dropped', 'consumed']);

describe('kernel fixtures are well formed', () => {
  it('has at least 12 scenarios and 250 frames', () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(all.reduce((n, s) => n + s.expected.length, 0)).toBeGreaterThanOrEqual(250);
  });

  for (const s of all) {
    it(`${s.name}: frames.pcapng, expected.ndjson and host/ agree`, () => {
      const cap = openCapture(join(s.dir, 'frames.pcapng'));
      let n = 0;
      for (const f of cap) {
        n++;
        expect(f.iface.name, `frame ${n} has an if_name`).toMatch(/^\w/);
        if (f.direction === DIR_OUTBOUND) {
          // a frame the host sent (recorded from the peer capture): `sent` by the interface it was
          // captured on, with nothing answered
          const r = s.expected[n - 1];
          expect(r?.fate, `host-sent frame ${n}`).toBe('sent');
          expect(r?.egress, `host-sent frame ${n}`).toEqual([f.iface.name]);
          expect(r?.replies, `host-sent frame ${n}`).toBeUndefined();
        }
      }
      cap.close();
      expect(n).toBe(s.expected.length);
      s.expected.forEach((r, i) => {
        expect(r.frame).toBe(i + 1);
        expect(KINDS.has(r.fate), `frame ${r.frame} fate ${r.fate}`).toBe(true);
        expect(r.reason === undefined, `frame ${r.frame}: reason only with dropped`).toBe(r.fate !== 'dropped');
        if (r.socket !== undefined) expect(r.fate).toBe('delivered');
        if (r.fate === 'forwarded' || r.fate === 'bridged') expect(r.egress?.length).toBeGreaterThan(0);
      });
      expect(existsSync(join(s.dir, 'host', 'snapshot.json')), `${s.name}/host/ from pktlife snapshot`).toBe(true);
      const host = loadHost(join(s.dir, 'host'));
      const names = host.byName;
      for (const r of s.expected) for (const e of r.egress ?? []) expect(names.has(e), `egress ${e} is a host link`).toBe(true);
    });
  }

  it('known-disagreements.json names real frames, each with a reason', () => {
    for (const k of knownDisagreements()) {
      const s = all.find((x) => x.name === k.scenario);
      expect(s, `scenario ${k.scenario}`).toBeDefined();
      expect(k.frame).toBeLessThanOrEqual(s!.expected.length);
      expect(FIELDS).toContain(k.field);
    }
  });
});

/** The model's records for one scenario, as plain JSON (what expected.ndjson holds). */
function records(capture: string, host: string, bpf?: string[]): FateRecord[] {
  const out: FateRecord[] = [];
  // scenario.json "bpf": what the scenario's eBPF/XDP programs return (they cannot be run offline)
  for (const it of replay(capture, host, bpf ? { checksums: 'verify', bpf } : { checksums: 'verify' })) out.push(JSON.parse(JSON.stringify(it.record)) as FateRecord);
  return out;
}

describe('pktlife agrees with the kernel on the recorded fixtures', () => {
  const known = knownDisagreements();
  const rows: string[] = [];
  afterAll(() => {
    console.log(`kernel conformance (${all.length} scenarios; known disagreements are listed in fixtures/kernel/known-disagreements.json)\n${[...rows].sort().join('\n')}`);
  });
  for (const s of all) {
    it(`${s.name}`, async () => {
      const { notes, hostSent } = frameNotes(join(s.dir, 'frames.pcapng'));
      const meta = JSON.parse(readFileSync(join(s.dir, 'scenario.json'), 'utf8')) as { bpf?: string[] };
      const got = records(join(s.dir, 'frames.pcapng'), join(s.dir, 'host'), meta.bpf);
      normaliseIsn(got, kernelIsns(s.dir));
      const byFrame = new Map(got.map((r) => [r.frame, r]));
      // nft monitor trace of every frame (the recorder traces each frame's own skb from prerouting)
      const kTraces = kernelTraces(s.dir);
      const chains = nftChainRules(join(s.dir, 'host'));
      let traced = 0;
      let agree = 0;
      let knownN = 0;
      let sent = 0;
      const bad: string[] = [];
      const stale: string[] = [];
      for (const exp of s.expected) {
        // the host's own frames: compared on what was observed of them (HOST_SENT_FIELDS)
        const own = hostSent.has(exp.frame);
        if (own) sent++;
        const mine = byFrame.get(exp.frame);
        const kt = kTraces.get(exp.frame);
        if (kt?.length) traced++;
        const trace = kt && mine ? { exp: kt, got: modelTrace(mine, chains) } : undefined;
        const diffs = compare(exp, mine, own ? HOST_SENT_FIELDS : FIELDS, trace);
        const listed = known.filter((k) => k.scenario === s.name && k.frame === exp.frame);
        for (const k of listed) {
          if (!diffs.some((d) => d.field === k.field)) stale.push(`frame ${exp.frame} ${k.field}: listed as known but agrees now`);
        }
        const unlisted = diffs.filter((d) => !listed.some((k) => k.field === d.field));
        if (!diffs.length) agree++;
        else if (!unlisted.length) knownN++;
        for (const d of unlisted) {
          bad.push(`frame ${exp.frame} (${notes[exp.frame - 1] ?? ''}) ${d.field}: kernel ${d.exp} | pktlife ${d.got}`);
          // KF_DISAGREEMENTS=file: collect them as JSON lines, to write known-disagreements.json reasons from
          if (process.env.KF_DISAGREEMENTS) {
            appendFileSync(process.env.KF_DISAGREEMENTS, JSON.stringify({ scenario: s.name, frame: exp.frame, field: d.field, note: notes[exp.frame - 1], kernel: d.exp, pktlife: d.got }) + '\n');
          }
        }
      }
      rows.push(
        `${s.name.padEnd(22)} frames ${String(s.expected.length).padStart(3)}  agree ${String(agree).padStart(3)}  known ${String(knownN).padStart(3)}  disagree ${String(s.expected.length - agree - knownN).padStart(3)}` +
          `  (nft trace: ${traced} frames through host chains)` +
          (sent ? `  (host-sent ${sent}: compared on ${HOST_SENT_FIELDS.join(', ')})` : ''),
      );
      console.log(`kernel conformance ${rows[rows.length - 1]}\n${bad.map((b) => '  ' + b).join('\n')}`);
      expect(bad, `${s.name}: disagreements with the kernel not listed in known-disagreements.json`).toEqual([]);
      expect(stale, `${s.name}: stale entries in known-disagreements.json`).toEqual([]);
    });
  }
});

/** pcapng frame comments (the generator's note for each frame, for readable failure lines) and the
 *  numbers of the frames the host itself sent (epb_flags direction outbound). */
function frameNotes(path: string): { notes: string[]; hostSent: Set<number> } {
  const notes: string[] = [];
  const hostSent = new Set<number>();
  const cap = openCapture(path);
  for (const f of cap) {
    notes.push(f.comment ?? '');
    if (f.direction === DIR_OUTBOUND) hostSent.add(notes.length);
  }
  cap.close();
  return { notes, hostSent };
}
