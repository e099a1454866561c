// inspect writes the common text lines and its ndjson lines as bytes straight into the output
// buffer (summary-line.ts fastLineInto / tcpdumpTimeInto, inspect-ndjson.ts). They must be the
// strings inspectLine() makes (the code they replace, which still writes every other line),
// byte for byte: compared over the bundled captures, the summary fixture, a generated capture of
// ordinary traffic (long TCP flows, UDP, IPv6) and the public corpus.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS } from '../corpus-path.js';
import { runInspect, inspectLine } from '../../src/cli/inspect.js';
import { openCapture, CaptureError } from '../../src/capture/reader.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { SummaryState } from '../../src/packet/summary.js';
import { generateOrdinaryPcap } from '../../src/bench/gen-ordinary.js';

const root = path.resolve(__dirname, '../..');

/** the lines as the string code makes them (and the read error's text, if any) */
function stringLines(file: string, ndjson: boolean, opts: { link?: boolean; absoluteSeq?: boolean }): string {
  const r = openCapture(file);
  const d = new Decoded();
  const st = new SummaryState();
  let s = '';
  try {
    for (let f = r.next(); f !== null; f = r.next()) {
      decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len, ndjson);
      s += inspectLine(f, d, ndjson, st, opts);
    }
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
  } finally {
    r.close();
  }
  return s;
}

function byteLines(file: string, format: string, opts: { link?: boolean; absoluteSeq?: boolean }): string {
  let out = '';
  runInspect(file, { format, ...opts }, (s) => { out += s; }, () => {});
  return out;
}

function captures(): string[] {
  const files = fs.readdirSync(path.join(root, 'captures')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(root, 'captures', f));
  files.push(path.join(root, 'test/packet/fixtures/summary-mix.pcap'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-bytes-'));
  const ord = path.join(tmp, 'ordinary.pcap');
  generateOrdinaryPcap(ord, 4000);
  files.push(ord);
  return files;
}

describe('inspect: byte-built lines', () => {
  const files = captures();
  for (const [format, opts] of [['text', {}], ['text', { absoluteSeq: true }], ['ndjson', {}]] as const) {
    it(`${format} ${JSON.stringify(opts)}: the same bytes as inspectLine on the bundled and a generated capture`, () => {
      let lines = 0;
      for (const f of files) {
        const want = stringLines(f, format === 'ndjson', opts);
        expect(byteLines(f, format, opts), f).toBe(want);
        lines += want.split('\n').length - 1;
      }
      expect(lines).toBeGreaterThan(4000);
    });
  }

  it.skipIf(!fs.existsSync(CORPUS))('text and ndjson: the same bytes as inspectLine on the public corpus', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(pcap|pcapng|cap)$/.test(e.name)) files.push(p);
      }
    };
    walk(CORPUS);
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) {
      for (const format of ['text', 'ndjson']) {
        let want: string;
        try {
          want = stringLines(f, format === 'ndjson', {});
        } catch {
          continue; // a file the reader refuses at open: runInspect says so (inspect.test.ts)
        }
        expect(byteLines(f, format, {}), `${format} ${f}`).toBe(want);
      }
    }
  }, 120_000);
});
