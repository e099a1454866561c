// The timeline switch (ReplayOptions.events / FrameCtx.tracing) only decides whether events are
// built: every other field of every fate record must be the same with it on and off. Checked over
// the bundled captures and the kernel-recorded fixtures (whose expected.ndjson the kernel wrote),
// in both checksum modes the fixtures and the CLI use.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadHost } from '../../src/host/load.js';
import { openReplay } from '../../src/replay.js';
import { fateToJSON, type FateRecord } from '../../src/kernel/fate.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function cases(): { name: string; cap: string; host: string; iface?: string }[] {
  const out: { name: string; cap: string; host: string; iface?: string }[] = [];
  const fx = join(ROOT, 'fixtures/kernel');
  for (const d of readdirSync(fx)) {
    const cap = join(fx, d, 'frames.pcapng');
    const host = join(fx, d, 'host');
    if (existsSync(cap) && existsSync(host)) out.push({ name: `fixtures/kernel/${d}`, cap, host });
  }
  const c = join(ROOT, 'captures');
  for (const f of readdirSync(c)) {
    if (/\.pcap(ng)?$/.test(f) && existsSync(join(c, 'basic-host')) && f.startsWith('basic')) out.push({ name: `captures/${f}`, cap: join(c, f), host: join(c, 'basic-host'), iface: 'eth0' });
  }
  return out;
}

function run(c: { cap: string; host: string; iface?: string }, checksums: 'verify' | 'auto', events: boolean): { recs: FateRecord[]; summaries: string[] } {
  const src = openReplay(c.cap, loadHost(c.host), { checksums, iface: c.iface, events });
  const recs: FateRecord[] = [];
  const summaries: string[] = [];
  const next = () => {
    try {
      return src.next();
    } catch (e) {
      if ((e as Error).name === 'CaptureError') return null;
      throw e;
    }
  };
  try {
    // a damaged capture (basic-any.pcap is cut short) ends with the reader's error: the frames before it count
    for (let it = next(); it; it = next()) {
      // records are owned by the caller: copy before the next frame
      recs.push(JSON.parse(fateToJSON(it.record)) as FateRecord);
      summaries.push(it.summary);
    }
  } finally {
    src.close();
  }
  return { recs, summaries };
}

describe('events off changes nothing but the timeline', () => {
  const all = cases();
  it('has the fixtures and captures', () => {
    expect(all.length).toBeGreaterThan(5);
  });
  for (const c of all) {
    for (const mode of ['verify', 'auto'] as const) {
      it(`${c.name} (--checksums ${mode})`, () => {
        const on = run(c, mode, true);
        const off = run(c, mode, false);
        expect(off.recs.length).toBe(on.recs.length);
        expect(on.recs.length).toBeGreaterThan(0);
        // the timeline is really on in one run and off in the other
        expect(on.recs.every((r) => r.events.length > 0)).toBe(true);
        expect(off.recs.every((r) => r.events.length === 0)).toBe(true);
        const strip = (r: FateRecord) => ({ ...r, events: [] });
        expect(off.recs.map(strip)).toEqual(on.recs.map(strip));
        expect(off.summaries).toEqual(on.summaries);
      });
    }
  }
});
