// Frame bytes and per-frame facts against tshark: a sample of corpus pcapng files (the full
// set runs in `npm run fuzz`), and hand-built files with OPB, SPB, mixed byte orders.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS, corpusPresent } from './corpus-util.js';
import { compareWithTshark, hasTshark } from './tshark-util.js';
import { cat, epb, i64, idb, opb, shb, spb, str, u32, u8 } from './build.js';

// kept small (each file costs two tshark starts); the full corpus runs under npm run fuzz
const SAMPLE = ['pcapng-test-generator/output_be/advanced/test102.pcapng', 'pcapng-test-generator/output_le/difficult/test202.pcapng'];

describe.runIf(hasTshark())('frame bytes and facts agree with tshark', () => {
  describe.skipIf(!corpusPresent)('corpus sample', () => {
    for (const f of SAMPLE) it(f, () => expect(compareWithTshark(path.join(CORPUS, f))).toBeGreaterThan(0));
  });

  it('hand-built: OPB, SPB, mixed byte-order sections, tsresol/tsoffset, comments, flags', () => {
    const be = false;
    const le = true;
    const b = cat(
      shb(le),
      idb(le, 1, 0, [[2, str('a')], [9, u8(9)]]),
      opb(le, 0, 1_700_000_000_000_000_123n, u8(1, 2, 3, 4, 5), [[2, u32(le, 2)], [1, str('opb comment')]]),
      epb(le, 0, 1_700_000_001_000_000_000n, u8(9, 8, 7), [[1, str('one')], [1, str('two')], [2, u32(le, 1)]]),
      shb(be),
      idb(be, 101, 4, [[9, u8(0x80 | 20)], [14, i64(be, 1000n)]]),
      spb(be, 10, u8(0x45, 0, 0, 10)), // snaplen 4: the block holds min(snaplen, len) bytes (pcapng spec)
      epb(be, 0, (5n << 20n) + 1n, u8(0x60, 0, 0, 0), [], 40),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-ts-'));
    const file = path.join(dir, 'hand.pcapng');
    fs.writeFileSync(file, b);
    if (process.env.CAP_KEEP) fs.copyFileSync(file, '/tmp/hand.pcapng');
    expect(compareWithTshark(file)).toBe(4);
    fs.rmSync(dir, { recursive: true });
  });
});
if (!hasTshark()) console.log('tshark not installed: tshark comparison tests skipped');
