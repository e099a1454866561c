// `pktlife replay CAPTURE --host DIR [--iface NAME] [--format text|json|ndjson] [--checksums verify|trust|auto]`
// text: one line per frame (summary, fate, reason); ndjson: one fate record per line; json: one
// array. On a TTY without --format the ink timeline UI opens. Exit 2 on a capture read error
// (after the frames before it were written), 1 on a bad host snapshot or interface.

import type { Command } from 'commander';
import { loadHostArg as loadHost } from '../host/load.js';
import { openReplay } from '../replay.js';
import { fateToJSON, fateToJSONInto } from '../kernel/fate.js';
import { appFieldsOf } from '../packet/app/record.js';
import { JsonLine } from './json-line.js';
import type { ChecksumMode } from '../kernel/ctx.js';
import type { ReplayItem, ReplaySource } from '../replay-types.js';
import { FateExporter } from '../report/export.js';
import { parseWhere, type ItemPred } from '../report/where.js';
import { Out } from './out.js';
import { TextLines, textTail } from './replay-text.js';
import * as tty from 'node:tty';
import { openSync } from 'node:fs';
import { openFedCapture, STDIN_NAME, type ChunkFeed } from '../capture/reader.js';
import { replaySource } from '../replay.js';
import { JobsFeed, parseJobs } from './jobs-feed.js';
import { isRegularFile } from './regular-file.js';
import { loadTimelineUI, type TimelineModule } from './ui-load.js';
import { replayWorkerAvailable, replayWorkerFeed } from './ui-worker.js';

interface Opts {
  host: string;
  iface?: string;
  format?: string;
  checksums: string;
  writePcap?: string;
  where?: string;
  jobs?: string;
  bpf?: string[];
}

export function textLine(it: ReplayItem, summary: string = it.summary): string {
  return `${it.frame} ${it.iface ?? '-'} ${summary}` + textTail(it.record);
}

/** One ndjson line: the record (fateToJSON's bytes) with the frame's app fields before its last
 *  brace (withAppFields), assembled in `jl` and copied to the output once. */
function ndjsonLine(out: Out, jl: JsonLine, it: ReplayItem): void {
  jl.pos = 0;
  fateToJSONInto(it.record, jl);
  if (it.bytes !== undefined && it.linktype !== undefined) {
    const f = appFieldsOf(it.bytes, it.linktype);
    if (f !== '' && jl.pos > 0 && jl.buf[jl.pos - 1] === 0x7d) {
      jl.pos--;
      jl.text(f + '}');
    }
  }
  jl.text('\n');
  out.bytes(jl.buf, jl.pos);
}

/** The timeline over a capture streamed on stdin (`tcpdump -U -w - | pktlife replay - --host H`):
 *  read asynchronously so the screen stays live between frames; keys from /dev/tty. */
async function liveTimeline(o: Opts): Promise<number> {
  let host;
  try {
    host = loadHost(o.host);
  } catch (e) {
    process.stderr.write(`pktlife replay: ${(e as Error).message}\n`);
    return 1;
  }
  let keys: tty.ReadStream;
  try {
    keys = new tty.ReadStream(openSync('/dev/tty', 'r'));
  } catch (e) {
    process.stderr.write(`pktlife replay: the capture is on standard input and no terminal is there for keys (/dev/tty: ${(e as Error).message}); use --format text or ndjson\n`);
    return 1;
  }
  const feed: ChunkFeed = { chunks: [], ended: false };
  let wake: (() => void) | null = null;
  const more = (): Promise<void> => new Promise((r) => (wake = r));
  const poke = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  process.stdin.on('data', (c: Buffer) => {
    feed.chunks.push(c);
    poke();
  });
  process.stdin.on('end', () => {
    feed.ended = true;
    poke();
  });
  process.stdin.on('error', () => {
    feed.ended = true;
    poke();
  });
  try {
    let src: ReplaySource;
    try {
      const reader = await openFedCapture(feed, STDIN_NAME, more);
      src = replaySource(reader, STDIN_NAME, host, { checksums: o.checksums as ChecksumMode, iface: o.iface, summaries: true, events: true });
    } catch (e) {
      process.stderr.write(`pktlife replay: ${(e as Error).message}\n`);
      return (e as Error).name === 'CaptureError' ? 2 : 1;
    }
    for (const n of src.notes ?? []) process.stderr.write(`pktlife replay: ${n}\n`);
    const { runTimelineUI } = await loadTimelineUI();
    if (typeof runTimelineUI !== 'function') throw new Error('the timeline UI is not available');
    await runTimelineUI(src, { stdin: keys as unknown as NodeJS.ReadStream });
    return 0;
  } finally {
    keys.destroy();
    process.stdin.destroy();
  }
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('replay a capture through the modelled kernel of a host snapshot; one fate per frame')
    .addHelpText('after', `
Examples:
  pktlife replay captures/basic.pcapng --host captures/basic-host          # the timeline on a terminal, text when piped
  pktlife replay cap.pcap --host web1.tar.gz --format ndjson > fates.ndjson # the snapshot script's tarball
  pktlife replay cap.pcap --host web1 --write-pcap drops.pcapng --where fate=dropped`)
    .argument('<capture>', 'pcap or pcapng file; - reads standard input (tcpdump -U -w - | pktlife replay - ...)')
    .requiredOption('--host <dir>', 'host snapshot directory (pktlife snapshot)')
    .option('--iface <name>', 'ingress interface when the capture does not name it')
    .option('--format <fmt>', 'text | json | ndjson (default: the timeline UI on a terminal, else text)')
    .option('--checksums <mode>', 'verify | trust | auto', 'auto')
    .option('--bpf <decl>', 'what an eBPF program returns (repeatable): DEV:xdp=pass|drop|tx|aborted|redirect:DEV2, DEV:tc-ingress=ok|shot|redirect:DEV2 (or tc-egress)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--write-pcap <file>', 'also write the frames matching --where to a pcapng, each with a comment naming its fate')
    .option('--jobs <n>', 'text: 2 or more runs the decode and summaries in a worker thread beside the model (0: one per core; default 1); the output is the same')
    .option('--where <expr>', 'which frames --write-pcap keeps, e.g. "fate=dropped reason=NETFILTER_DROP" (default: all)')
    .action(async (capture: string, o: Opts) => {
      let where: ItemPred | null = null;
      if (o.where !== undefined && o.writePcap === undefined) {
        process.stderr.write(`pktlife replay: --where selects frames for --write-pcap; give --write-pcap FILE too\n`);
        process.exitCode = 1;
        return;
      }
      if (o.writePcap !== undefined && capture === '-') {
        // the export reads the capture a second time: a stream can be read only once
        process.stderr.write(`pktlife replay: --write-pcap needs a capture file, not standard input\n`);
        process.exitCode = 1;
        return;
      }
      if (o.writePcap !== undefined) {
        try {
          where = o.where === undefined ? () => true : parseWhere(o.where);
        } catch (e) {
          process.stderr.write(`pktlife replay: ${(e as Error).message}\n`);
          process.exitCode = 1;
          return;
        }
      }
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
      // live input into the timeline: the capture arrives on stdin, the keys come from the terminal
      if (capture === '-' && !o.format && process.stdout.isTTY && where === null && !process.stdin.isTTY) {
        process.exitCode = await liveTimeline(o);
        return;
      }
      let src: ReplaySource;
      let jobs: number;
      try {
        jobs = parseJobs(o.jobs);
      } catch (e) {
        process.stderr.write(`pktlife replay: ${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      // summaries cost a decode per frame: only the text output and the UI show them
      // text to a file or pipe (no --where): the lines are written as bytes and their summaries
      // made from the items' bytes (replay-text.ts), not by the replay
      const textBytes = where === null && (o.format === 'text' || (!o.format && !process.stdout.isTTY));
      const summaries = (!o.format || o.format === 'text' || where !== null) && !textBytes;
      // --jobs: those summaries are made by a worker thread reading the capture file beside the
      // model (jobs-feed.ts), started now so it runs while this thread loads the host. Not for
      // the UI, json/ndjson or --where, nor a stream (read once).
      const feed = jobs > 1 && textBytes && isRegularFile(capture) ? new JobsFeed(capture, jobs, { mode: 'replay-summary' }) : null;
      // the timeline over a capture file: its replay worker starts now, beside this thread's
      // checks of the inputs and the loading of the UI (it is stopped if they fail)
      const uiWorker = !o.format && process.stdout.isTTY && where === null && process.stdin.isTTY && isRegularFile(capture) && replayWorkerAvailable()
        ? replayWorkerFeed({ capture, host: o.host, iface: o.iface, checksums: o.checksums, bpf: o.bpf })
        : null;
      let host;
      try {
        host = loadHost(o.host);
        // the timeline is shown by json/ndjson and the UI, and --where fn= reads it; text prints none
        const uiMayOpen = !o.format && process.stdout.isTTY && where === null;
        const events = (o.format !== undefined && o.format !== 'text') || uiMayOpen || (o.where !== undefined && /\bfn\s*!?=/i.test(o.where));
        src = openReplay(capture, host, { checksums: o.checksums as ChecksumMode, iface: o.iface, summaries, events, ...(o.bpf ? { bpf: o.bpf } : {}) });
      } catch (e) {
        process.stderr.write(`pktlife replay: ${(e as Error).message}\n`);
        // a capture that cannot be read is exit 2, like a read error later on; a bad host is 1
        process.exitCode = (e as Error).name === 'CaptureError' ? 2 : 1;
        uiWorker?.close();
        feed?.close();
        return;
      }
      for (const n of src.notes ?? []) process.stderr.write(`pktlife replay: ${n}\n`);
      // the export runs in step with a plain replay, so --write-pcap prints text instead of opening the UI
      if (!o.format && process.stdout.isTTY && where === null) {
        let run: TimelineModule['runTimelineUI'] = undefined;
        try {
          run = (await loadTimelineUI()).runTimelineUI;
        } catch {
          run = undefined;
        }
        if (typeof run === 'function') {
          // a capture file: the replay runs in a worker thread, keys are answered meanwhile
          // (the source opened above checked the inputs and said its notes)
          if (uiWorker !== null) {
            src.close();
            uiWorker.title = src.title;
            uiWorker.totalBytes = src.totalBytes;
            await run(src, { feed: uiWorker });
          } else await run(src);
          return;
        }
      }
      // no UI after all (it could not be loaded): the text below, without the worker
      uiWorker?.close();
      const fmt = o.format ?? 'text';
      const out = new Out();
      // the device is the line's own column: not again in SLL2 summaries (as replay.ts)
      const lines = textBytes ? new TextLines(out, { ifaceColumn: true }, feed) : null;
      const jl = new JsonLine();
      let first = true;
      if (fmt === 'json') out.write('[');
      let exporter: FateExporter | null = null;
      // live input (stdin, a pipe): each frame's line goes out as soon as it is known
      const live = src.live === true;
      try {
        if (where !== null) exporter = new FateExporter(capture, o.writePcap!, where);
        for (let it = src.next(); it; it = src.next()) {
          if (out.closed && exporter === null) break;
          exporter?.add(it);
          if (lines !== null) lines.line(it);
          else if (fmt === 'text') out.line(textLine(it));
          else if (fmt === 'ndjson') ndjsonLine(out, jl, it);
          else {
            out.write(first ? '\n' : ',\n');
            out.write(fateToJSON(it.record));
            first = false;
          }
          if (live) out.flush();
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
        feed?.close();
        src.close();
        if (exporter) {
          exporter.close();
          process.stderr.write(`pktlife replay: wrote ${exporter.written} frame${exporter.written === 1 ? '' : 's'} to ${o.writePcap}\n`);
        }
      }
    });
}
