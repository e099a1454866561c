// Long conformance run (npm run fuzz): frame bytes and facts of EVERY readable corpus file
// against tshark (about one tshark start per file). Files with a listed disagreement skipped.
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { CORPUS, corpusPresent, loadManifest } from '../capture/corpus-util.js';
import { KNOWN_DISAGREEMENTS } from '../capture/known-disagreements.js';
import { compareWithTshark, hasTshark } from '../capture/tshark-util.js';

const files = corpusPresent ? loadManifest().filter((m) => m.expect === 'read' && m.frames > 0 && !KNOWN_DISAGREEMENTS[m.file]) : [];

if (!corpusPresent) console.log(`tshark comparison of every corpus file SKIPPED: ${CORPUS} not found`);
describe.runIf(hasTshark() && corpusPresent)('every readable corpus file: bytes and facts agree with tshark', () => {
  for (const m of files) {
    it(m.file, () => {
      let n = 0;
      try {
        n = compareWithTshark(path.join(CORPUS, m.file));
      } catch (e) {
        // a file libpcap would reject may be rejected by us too (expect_alt)
        if (m.expect_alt === 'error' && (e as Error).name === 'CaptureError') return;
        throw e;
      }
      expect(n).toBe(m.frames);
    });
  }
});
