// `pktlife replay CAPTURE --host DIR [--iface NAME] [--format text|json|ndjson] [--checksums verify|trust|auto]`
// text: one line per frame (summary, fate, reason); ndjson: one fate record per line; json: one
// array. On a TTY without --format the ink timeline UI opens. Exit 2 on a capture read error
// (after the frames before it were written), 1 on a bad host snapshot or interface.

import type { Command } from 'commander';
import { writeSync } from 'node:fs';
import { loadHost } from '../host/load.js';
import { openReplay } from '../replay.js';
import { fateToJSON } from '../kernel/fate.js';
import type { ChecksumMode } from '../kernel/ctx.js';
import type { ReplayItem, ReplaySource } from '../replay-types.js';

interface Opts {
  host: string;
  iface?: string;
  format?: string;
  checksums: string;
}

/** Buffered stdout: large captures write millions of lines. */
class Out {
  private buf: string[] = [];
  private size = 0;
  write(s: string): void {
    this.buf.push(s);
    this.size += s.length;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (!this.buf.length) return;
    const s = this.buf.join('');
    this.buf = [];
    this.size = 0;
    let b = Buffer.from(s);
    while (b.length) {
      try {
        const n = writeSync(1, b);
        b = b.subarray(n);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') return;
        throw e;
      }
    }
  }
}

export function textLine(it: ReplayItem): string {
  const r = it.record;
  let s = `${it.frame} ${it.iface ?? '-'} ${it.summary} => ${r.fate}`;
  if (r.reason) s += ` ${r.reason}`;
  if (r.egress && r.egress.length) s += ` via ${r.egress.join(',')}`;
  if (r.socket) s += ` (${r.socket})`;
  if (r.replies && r.replies.length) s += ` [reply ${r.replies.map((x) => `${x.iface}: ${x.summary}`).join('; ')}]`;
  if (r.unsupported && r.unsupported.length) s += ` {unsupported: ${r.unsupported.join('; ')}}`;
  return s;
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('replay a capture through the modelled kernel of a host snapshot; one fate per frame')
    .argument('<capture>', 'pcap or pcapng file')
    .requiredOption('--host <dir>', 'host snapshot directory (pktlife snapshot)')
    .option('--iface <name>', 'ingress interface when the capture does not name it')
    .option('--format <fmt>', 'text | json | ndjson (default: the timeline UI on a terminal, else text)')
    .option('--checksums <mode>', 'verify | trust | auto', 'auto')
    .action(async (capture: string, o: Opts) => {
      if (!['verify', 'trust', 'auto'].includes(o.checksums)) {
        process.stderr.write(`pktlife replay: --checksums must be verify, trust or auto (got "${o.checksums}")\n`);
        process.exitCode = 1;
        return;
      }
      if (o.format && !['text', 'json', 'ndjson'].includes(o.format)) {
        process.stderr.write(`pktlife replay: --format must be text, json or ndjson (got "${o.format}")\n`);
        process.exitCode = 1;
        return;
      }
      let src: ReplaySource;
      // summaries cost a decode per frame: only the text output and the UI show them
      const summaries = !o.format || o.format === 'text';
      try {
        const host = loadHost(o.host);
        src = openReplay(capture, host, { checksums: o.checksums as ChecksumMode, iface: o.iface, summaries });
      } catch (e) {
        process.stderr.write(`pktlife replay: ${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      if (!o.format && process.stdout.isTTY) {
        type UiModule = { runTimelineUI?: (s: ReplaySource) => Promise<void> };
        let run: UiModule['runTimelineUI'] = undefined;
        try {
          const p = '../ui/index.js';
          run = ((await import(p)) as UiModule).runTimelineUI;
        } catch {
          run = undefined;
        }
        if (typeof run === 'function') {
          await run(src);
          return;
        }
      }
      const fmt = o.format ?? 'text';
      const out = new Out();
      let first = true;
      if (fmt === 'json') out.write('[');
      try {
        for (let it = src.next(); it; it = src.next()) {
          if (fmt === 'text') out.write(textLine(it) + '\n');
          else if (fmt === 'ndjson') out.write(fateToJSON(it.record) + '\n');
          else {
            out.write((first ? '\n' : ',\n') + fateToJSON(it.record));
            first = false;
          }
        }
        if (fmt === 'json') out.write('\n]\n');
        out.flush();
      } catch (e) {
        if (fmt === 'json') out.write('\n]\n');
        out.flush();
        const err = e as Error;
        process.stderr.write(`pktlife replay: ${err.message}\n`);
        process.exitCode = err.name === 'CaptureError' ? 2 : 1;
      } finally {
        src.close();
      }
    });
}
