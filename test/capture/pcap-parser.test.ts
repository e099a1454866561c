// Second opinion on classic pcap files: the pcap-parser npm package (usec magic only, no
// pcapng, no nanoseconds) must see the same records, byte for byte, as our reader.
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { openCapture } from '../../src/capture/reader.js';
import { CORPUS, corpusPresent, loadManifest } from './corpus-util.js';

const require = createRequire(import.meta.url);
const pcapp = require('pcap-parser') as { parse(input: string): NodeJS.EventEmitter };

interface P {
  sec: number;
  usec: number;
  caplen: number;
  len: number;
  data: Buffer;
}

function viaPcapParser(file: string): Promise<P[]> {
  return new Promise((resolve, reject) => {
    const out: P[] = [];
    const p = pcapp.parse(file);
    p.on('packet', (pk: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) =>
      out.push({ sec: pk.header.timestampSeconds, usec: pk.header.timestampMicroseconds, caplen: pk.header.capturedLength, len: pk.header.originalLength, data: Buffer.from(pk.data) }),
    );
    p.on('error', reject);
    p.on('end', () => resolve(out));
  });
}

const files = corpusPresent
  ? loadManifest().filter((m) => m.format === 'pcap' && (m as unknown as { ts_precision?: string }).ts_precision === 'usec' && !(m as unknown as { format_variant?: string }).format_variant && m.expect !== 'error')
  : [];
if (!corpusPresent) console.log(`pcap-parser second-opinion tests SKIPPED: ${CORPUS} not found`);

describe.skipIf(!corpusPresent)('pcap-parser agrees with our reader on classic usec pcap files', () => {
  it(`covers a meaningful number of files (${files.length})`, () => {
    expect(files.length).toBeGreaterThan(150);
  });
  for (const m of files) {
    it(m.file, async () => {
      const file = path.join(CORPUS, m.file);
      const theirs = await viaPcapParser(file);
      const r = openCapture(file);
      let k = 0;
      for (const f of r) {
        const t = theirs[k++];
        expect(t, `frame ${k} missing in pcap-parser`).toBeDefined();
        // compare the raw on-disk time (we carry an out-of-range usec field into the seconds)
        expect(f.tsSec * 1e6 + f.tsNsec / 1000, `frame ${k} ts`).toBe(t!.sec * 1e6 + t!.usec);
        expect(f.caplen, `frame ${k} caplen`).toBe(t!.caplen);
        expect(f.len, `frame ${k} len`).toBe(t!.len);
        expect(Buffer.from(f.data).equals(t!.data), `frame ${k} bytes`).toBe(true);
      }
      r.close();
      expect(k).toBe(theirs.length);
    });
  }
});
