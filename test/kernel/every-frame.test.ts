// Property: every frame of every capture gets exactly one fate record, in order, and each record
// is well-formed (reason only and always for dropped, socket only and always for delivered,
// egress for forwarded/bridged). Runs over the bundled captures and the kernel fixtures.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';
import { openReplay } from '../../src/replay.js';
import type { FateRecord } from '../../src/kernel/fate.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function cases(): { name: string; cap: string; host: string; iface?: string }[] {
  const out: { name: string; cap: string; host: string; iface?: string }[] = [];
  const fx = join(ROOT, 'fixtures/kernel');
  if (existsSync(fx)) {
    for (const d of readdirSync(fx)) {
      const cap = join(fx, d, 'frames.pcapng');
      const host = join(fx, d, 'host');
      if (existsSync(cap) && existsSync(host)) out.push({ name: `fixtures/kernel/${d}`, cap, host });
    }
  }
  const c = join(ROOT, 'captures');
  if (existsSync(join(c, 'basic-host'))) {
    for (const f of ['basic.pcapng', 'basic-any.pcap']) if (existsSync(join(c, f))) out.push({ name: `captures/${f}`, cap: join(c, f), host: join(c, 'basic-host'), iface: 'eth0' });
  }
  return out;
}

function wellFormed(r: FateRecord): string | null {
  if (!['delivered', 'forwarded', 'bridged', 'sent', 'dropped', 'consumed'].includes(r.fate)) return `bad fate ${r.fate}`;
  if ((r.fate === 'dropped') !== (r.reason !== undefined)) return `reason ${r.reason} with fate ${r.fate}`;
  if ((r.fate === 'delivered') !== (r.socket !== undefined)) return `socket ${r.socket} with fate ${r.fate}`;
  if ((r.fate === 'forwarded' || r.fate === 'bridged' || r.fate === 'sent') && !(r.egress && r.egress.length)) return `${r.fate} without egress`;
  if (r.reason && !/^[A-Z0-9_]+$/.test(r.reason)) return `reason not a kernel drop reason name: ${r.reason}`;
  if (r.events.some((e) => e.fn === 'pktlife')) return 'model ended without a fate';
  return null;
}

describe('every frame gets exactly one fate', () => {
  const all = cases();
  it('has captures to check', () => {
    expect(all.length).toBeGreaterThan(0);
  });
  for (const c of all) {
    it(c.name, () => {
      // a damaged file: the frames before the damage count, the reader's error ends both loops
      const cap = openCapture(c.cap);
      let frames = 0;
      let capErr = '';
      try {
        while (cap.next()) frames++;
      } catch (e) {
        capErr = (e as Error).message;
      }
      cap.close();
      const src = openReplay(c.cap, loadHost(c.host), { checksums: 'auto', iface: c.iface });
      const seen: number[] = [];
      const bad: string[] = [];
      let repErr = '';
      try {
        for (let it = src.next(); it; it = src.next()) {
          seen.push(it.record.frame);
          const w = wellFormed(it.record);
          if (w) bad.push(`frame ${it.record.frame}: ${w}`);
        }
      } catch (e) {
        repErr = (e as Error).message;
      }
      src.close();
      expect(repErr).toBe(capErr);
      expect(seen).toEqual(Array.from({ length: frames }, (_, i) => i + 1));
      expect(bad).toEqual([]);
    });
  }
});
