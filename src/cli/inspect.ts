// `pktlife inspect FILE [--format text|ndjson] [--iface NAME] [-e] [-S]`
// text: one line per frame as `TZ=UTC tcpdump -nn -r FILE` prints it (UTC time of day with
// microseconds, then the summary); ndjson: one object per frame with the decoded facts.
// Exit 0 when the whole file was read, 2 on a read error (after the frames before it were
// written; the error goes to stderr), 1 on bad usage or an --iface no interface carries.

import type { Command } from 'commander';
import { Out, type ByteOut } from './out.js';
import { ndjsonInto } from './inspect-ndjson.js';
import { JobsFeed, parseJobs } from './jobs-feed.js';
import { fastOwner, flowOwner } from './jobs-hash.js';
import { isRegularFile } from './regular-file.js';
import { openCapture, CaptureError, type CaptureReader } from '../capture/reader.js';
import type { CaptureInterface, Frame } from '../capture/types.js';
import { Decoded, decodeFrame, LAYER_NAMES, CSUM_NAMES, DF_TRUNCATED, DF_MALFORMED, DF_UNSUPPORTED_LINK, L_TCP } from '../packet/decode.js';
import { summarize, summarizeInto, SummaryState, type SummaryOptions } from '../packet/summary.js';
import { FAST_LINE_MAX, tcpdumpTimeInto } from '../packet/summary-line.js';
import { ipv4BytesToString, ipv6ToString } from '../packet/addr.js';
import { tcpFlagLetters } from '../packet/tcp.js';
import { appFields } from '../packet/app/record.js';

interface Opts { format: string; iface?: string; link?: boolean; absoluteSeq?: boolean; jobs?: string }

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** tcpdump's default time: time of day (UTC here, for determinism) with microseconds */
export function tcpdumpTime(f: Frame): string {
  if (!f.hasTs) return '--:--:--.------';
  const day = ((f.tsSec % 86400) + 86400) % 86400;
  const us = Math.floor(f.tsNsec / 1000);
  return `${pad2(Math.floor(day / 3600))}:${pad2(Math.floor(day / 60) % 60)}:${pad2(day % 60)}.${String(us).padStart(6, '0')}`;
}

/** epoch seconds with exactly 9 fractional digits, or null without a timestamp (SPB) */
export function tsString(f: Frame): string | null {
  if (!f.hasTs) return null;
  return `${f.tsSec}.${String(f.tsNsec).padStart(9, '0')}`;
}

const ifaceJson = new WeakMap<CaptureInterface, string>();
function ifaceName(i: CaptureInterface): string {
  let s = ifaceJson.get(i);
  if (s === undefined) { s = i.name === null ? 'null' : JSON.stringify(i.name); ifaceJson.set(i, s); }
  return s;
}

/** One ndjson line (built by hand: this runs per frame on large captures). */
export function ndjsonLine(f: Frame, d: Decoded): string {
  const ts = tsString(f);
  let s = `{"frame":${f.index},"ts":${ts === null ? 'null' : `"${ts}"`},"iface":${ifaceName(f.iface)},"linktype":"${f.iface.linktypeName}","caplen":${f.caplen},"len":${f.len},"layers":[`;
  for (let i = 0; i < d.nlayers; i++) s += (i ? ',"' : '"') + LAYER_NAMES[d.layers[i]] + '"';
  s += ']';
  const b = d.data;
  if (d.ipVersion !== 0) {
    if (d.srcOff >= 0) s += `,"src":"${d.ipVersion === 4 ? ipv4BytesToString(b, d.srcOff) : ipv6ToString(b, d.srcOff)}"`;
    if (d.dstOff >= 0) s += `,"dst":"${d.ipVersion === 4 ? ipv4BytesToString(b, d.dstOff) : ipv6ToString(b, d.dstOff)}"`;
    if (d.proto >= 0) s += `,"proto":${d.proto}`;
    if (d.ttl >= 0) s += `,"ttl":${d.ttl}`;
  }
  if (d.sport >= 0) s += `,"sport":${d.sport},"dport":${d.dport}`;
  if (d.has(L_TCP) && d.transport_header + 14 <= d.caplen) s += `,"tcp_flags":"${tcpFlagLetters(d.tcpFlags)}"`;
  if (d.icmpType >= 0) s += `,"icmp_type":${d.icmpType},"icmp_code":${d.icmpCode}`;
  if (d.arpOp >= 0) s += `,"arp_op":${d.arpOp}`;
  if (d.nvlan > 0) {
    s += ',"vlan":[';
    for (let i = 0; i < d.nvlan; i++) s += (i ? ',' : '') + (d.vlanTci[i] & 0xfff);
    s += ']';
  }
  if (d.ipVersion !== 0) {
    const ip = CSUM_NAMES[d.csumIp], l4 = CSUM_NAMES[d.csumL4];
    s += `,"checksums":{"ip":${ip === null ? 'null' : `"${ip}"`},"l4":${l4 === null ? 'null' : `"${l4}"`}}`;
  }
  s += appFields(d);
  if (d.flags & (DF_TRUNCATED | DF_MALFORMED | DF_UNSUPPORTED_LINK)) {
    const kind = d.flags & DF_UNSUPPORTED_LINK ? 'unsupported' : d.flags & DF_MALFORMED ? 'malformed' : 'truncated';
    s += `,"problem":{"kind":"${kind}","text":${JSON.stringify(d.problem ?? '')}}`;
  }
  return s + '}\n';
}

/** One frame's line (text: time and summary; ndjson: the object), as printed. */
export function inspectLine(f: Frame, d: Decoded, ndjson: boolean, st: SummaryState, sumOpts: SummaryOptions): string {
  return ndjson ? ndjsonLine(f, d) : `${tcpdumpTime(f)} ${summarize(d, st, sumOpts)}\n`;
}

/** The text line of a common frame written as bytes straight into the output buffer (no string);
 *  false (nothing written) where inspectLine must make it. */
export function textInto(out: ByteOut, f: Frame, d: Decoded, st: SummaryState, sumOpts: SummaryOptions): boolean {
  out.room(FAST_LINE_MAX + 32);
  const b = out.buf;
  let p = tcpdumpTimeInto(b, out.pos, f.hasTs, f.tsSec, f.tsNsec);
  if (p < 0) return false;
  b[p++] = 32;
  p = summarizeInto(b, p, d, st, sumOpts);
  if (p < 0) return false;
  b[p++] = 10;
  out.pos = p;
  return true;
}

/**
 * Run inspect; returns the exit status. `write`/`writeErr` replace stdout/stderr (tests).
 */
export function runInspect(file: string, opts: Opts, write: ((s: string) => void) | null = null,
  writeErr: (s: string) => void = (s) => { process.stderr.write(s); }): number {
  if (opts.format !== 'text' && opts.format !== 'ndjson') {
    writeErr(`pktlife inspect: --format must be text or ndjson, not "${opts.format}"\n`);
    return 1;
  }
  let jobs: number;
  try {
    jobs = parseJobs(opts.jobs);
  } catch (e) {
    writeErr(`pktlife inspect: ${(e as Error).message}\n`);
    return 1;
  }
  const out = new Out(write);
  let reader: CaptureReader | null = null;
  let status = 0;
  let ifaceSeen = false;
  // --jobs: worker threads make the lines of the conversations the hash gives them (jobs-feed.ts),
  // this thread those of owner 0 and puts the workers' lines in between, in frame order. The
  // workers read the file themselves: not for a stream (stdin, a pipe), which can be read once.
  const feed = jobs > 1 && isRegularFile(file)
    ? new JobsFeed(file, jobs, { mode: opts.format === 'ndjson' ? 'inspect-ndjson' : 'inspect-text', iface: opts.iface, link: opts.link, absoluteSeq: opts.absoluteSeq })
    : null;
  try {
    reader = openCapture(file);
    const d = new Decoded();
    const st = new SummaryState();
    const ndjson = opts.format === 'ndjson';
    const want = opts.iface;
    const live = reader.stream === true;
    const sumOpts = { link: opts.link, absoluteSeq: opts.absoluteSeq };
    for (let f = reader.next(); f !== null; f = reader.next()) {
      if (out.closed) break;
      if (want !== undefined) {
        if (f.iface.name !== want) continue;
        ifaceSeen = true;
      }
      let decoded = false;
      if (feed !== null) {
        // another thread's conversation (as the workers find it: jobs-worker.ts), else theirs first
        let o = fastOwner(f.buf, f.offset, f.caplen, f.iface.linktype, jobs);
        if (o < 0) {
          decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len, ndjson);
          decoded = true;
          o = flowOwner(d, jobs);
        }
        if (o !== 0) continue;
        feed.copyBefore(out, f.index);
      }
      // the text line shows no checksum state (tcpdump -nn verifies none): only ndjson sums payloads
      if (!decoded) decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len, ndjson);
      if (!(ndjson ? ndjsonInto(out, f, d) : textInto(out, f, d, st, sumOpts))) out.write(inspectLine(f, d, ndjson, st, sumOpts));
      // live input (stdin, a pipe): each frame's line goes out as soon as it is known
      if (live) out.flush();
    }
    // the workers' lines after this thread's last
    if (feed !== null && !out.closed) feed.copyBefore(out, Infinity);
  } catch (e) {
    // the workers' lines before the capture's error (they stop at the same frame)
    if (feed !== null && e instanceof CaptureError && !out.closed) feed.copyBefore(out, Infinity);
    out.flush();
    if (!(e instanceof CaptureError)) throw e;
    writeErr(`pktlife inspect: ${e.message}\n`);
    status = 2;
  } finally {
    reader?.close();
    feed?.close();
  }
  out.flush();
  if (status === 0 && opts.iface !== undefined && !ifaceSeen) {
    const names = (reader?.interfaces ?? []).map((i) => i.name ?? '(unnamed)');
    writeErr(`pktlife inspect: ${file}: no frames on an interface named "${opts.iface}" (interfaces: ${names.join(', ') || 'none'})\n`);
    return 1;
  }
  return status;
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('decode every frame of a capture: one tcpdump -nn style line (text) or one JSON object (ndjson) per frame')
    .addHelpText('after', `
Examples:
  pktlife inspect captures/basic.pcapng                  # like tcpdump -nn -r
  pktlife inspect cap.pcap --format ndjson | head -3     # one JSON object per frame
  tcpdump -i any -w - | pktlife inspect -                # live, from standard input`)
    .argument('<file>', 'pcap or pcapng capture; - reads standard input')
    .option('--format <format>', 'text or ndjson', 'text')
    .option('--iface <name>', 'only frames captured on this interface (pcapng if_name)')
    .option('-e, --link', 'text: print the link-level header too (tcpdump -e)')
    .option('-S, --absolute-seq', 'text: absolute TCP sequence numbers (tcpdump -S)')
    .option('--jobs <n>', 'threads decoding and printing (this one and N - 1 workers), conversations spread over them (0: one per core; default 1); the output is the same', undefined)
    .action((file: string, opts: Opts) => {
      process.exitCode = runInspect(file, opts);
    });
}
