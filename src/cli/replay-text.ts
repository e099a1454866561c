// replay --format text's lines (replay.ts textLine) written as bytes straight into the output
// buffer: the frame number, the interface, the summary (summary-line.ts, for the common lines)
// and the fate part, whose bytes are kept for the few shapes a capture repeats (fate, reason,
// egress list). The summary is made here from the item's captured bytes (the replay is opened
// without summaries), in frame order as the replay would make it, with its own tcpdump
// conversation table; lines the byte writers do not cover go through the string code.

import type { ReplayItem } from '../replay-types.js';
import { Decoded, decodeFrame } from '../packet/decode.js';
import { summarize, summarizeInto, SummaryState, type SummaryOptions } from '../packet/summary.js';
import { FAST_LINE_MAX, asciiBegin, asciiByte, asciiDec, asciiEnd } from '../packet/summary-line.js';
import type { ByteOut, Out } from './out.js';
import type { JobsFeed } from './jobs-feed.js';

type Rec = ReplayItem['record'];

/** what textLine prints after the summary: " => fate", the reason, egress, socket, replies... */
export function textTail(r: Rec): string {
  let s = ` => ${r.fate}`;
  if (r.copy_of !== undefined) s += ` (copy of ${r.copy_of})`;
  if (r.reason) s += ` ${r.reason}`;
  if (r.egress && r.egress.length) s += ` via ${r.egress.join(',')}`;
  if (r.socket) s += ` (${r.socket})`;
  if (r.replies && r.replies.length) s += ` [reply ${r.replies.map((x) => `${x.iface}: ${x.summary}${x.dropped ? ` (not sent: dropped ${x.dropped})` : ''}`).join('; ')}]`;
  if (r.unsupported && r.unsupported.length) s += ` {unsupported: ${r.unsupported.join('; ')}}`;
  return s;
}

const TAIL_WAYS = 8;

/** the replay line's summary of a decoded frame, as bytes at out.pos: TextLines, and the --jobs
 *  worker that makes them beside the model (jobs-worker.ts) */
export function summaryInto(out: ByteOut, d: Decoded, st: SummaryState, opts: SummaryOptions): void {
  out.room(FAST_LINE_MAX);
  const q = summarizeInto(out.buf, out.pos, d, st, opts);
  if (q >= 0) out.pos = q;
  else {
    let s = summarize(d, st, opts);
    // tcpdump prints a VXLAN frame's inner frame on a second line: one line here (replay.ts)
    if (s.includes('\n')) s = s.replace(/\n/g, ' ');
    out.write(s);
  }
}

export class TextLines {
  private readonly d = new Decoded();
  private readonly st = new SummaryState();
  private readonly ifaces = new Map<string, Uint8Array>();
  /** the fate part's bytes for records with only a fate, a reason and an egress list */
  private readonly tails: { fate: string; reason: string | undefined; egress: readonly string[] | undefined; bytes: Uint8Array }[] = [];
  private next = 0;

  /** `feed`: the summaries come from a --jobs worker (jobs-feed.ts), which makes them with
   *  summaryInto from the capture's frames in the same order, beside the model */
  constructor(private readonly out: Out, private readonly sumOpts: SummaryOptions, private readonly feed: JobsFeed | null = null) {}

  /** the item's line; the replay's items carry their bytes (replay.ts Item) */
  line(it: ReplayItem): void {
    const out = this.out, d = this.d;
    const bytes = this.feed === null ? it.bytes : undefined;
    if (this.feed === null && (bytes === undefined || it.linktype === undefined || it.wireLen === undefined)) throw new Error(`frame ${it.frame}: a replay item without its bytes`);
    const name = it.iface ?? '-';
    let ifb = this.ifaces.get(name);
    if (ifb === undefined) { ifb = Buffer.from(name); this.ifaces.set(name, ifb); }
    out.room(FAST_LINE_MAX + 16 + ifb.length);
    asciiBegin(out.buf, out.pos);
    asciiDec(it.frame);
    asciiByte(32);
    let p = asciiEnd();
    out.buf.set(ifb, p);
    p += ifb.length;
    out.buf[p++] = 32;
    out.pos = p;
    if (this.feed !== null) this.feed.summaryInto(out, it.frame);
    else {
      decodeFrame(bytes!, bytes!.length, it.linktype!, d, it.wireLen!, false);
      summaryInto(out, d, this.st, this.sumOpts);
    }
    const t = this.tail(it.record);
    if (t !== null) {
      out.room(t.length + 1);
      out.buf.set(t, out.pos);
      out.pos += t.length;
      out.buf[out.pos++] = 10;
    } else out.line(textTail(it.record));
  }

  private tail(r: Rec): Uint8Array | null {
    if (r.copy_of !== undefined || r.socket || (r.replies && r.replies.length) || (r.unsupported && r.unsupported.length)) return null;
    const reason = r.reason || undefined;
    const egress = r.egress && r.egress.length ? r.egress : undefined;
    for (const c of this.tails) {
      if (c.fate === r.fate && c.reason === reason && (c.egress === egress || (c.egress !== undefined && egress !== undefined && sameList(c.egress, egress)))) return c.bytes;
    }
    const bytes = Buffer.from(textTail(r));
    const e = { fate: r.fate, reason, egress: egress === undefined ? undefined : [...egress], bytes };
    if (this.tails.length < TAIL_WAYS) this.tails.push(e);
    else { this.tails[this.next] = e; this.next = (this.next + 1) % TAIL_WAYS; }
    return bytes;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
