// ReplaySource adapters for driving the UI without the replay engine: an array of items, or an
// ndjson file whose lines are ReplayItems ({frame, tsSec, tsNsec, iface, summary, record,
// bytes?: hex, linktype?}) or bare fate records (as `pktlife replay --format ndjson` prints).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { FateRecord } from '../kernel/fate.js';
import type { ReplayItem, ReplaySource } from '../replay-types.js';

export function arraySource(items: ReplayItem[], title = 'array'): ReplaySource {
  let k = 0;
  return {
    title,
    totalBytes: items.length,
    bytesRead: () => k,
    next: () => (k < items.length ? items[k++] : null),
    close: () => {},
  };
}

export class NdjsonError extends Error {}

function hexBytes(h: unknown, where: string): Uint8Array | undefined {
  if (h === undefined) return undefined;
  if (typeof h !== 'string' || !/^([0-9a-f]{2})*$/i.test(h)) throw new NdjsonError(`${where}: "bytes" is not a hex string`);
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

function toItem(o: unknown, where: string, seq: number): ReplayItem {
  if (!o || typeof o !== 'object') throw new NdjsonError(`${where}: not a JSON object`);
  const x = o as Record<string, unknown>;
  const rec = (x.record ?? x) as FateRecord;
  if (typeof rec.fate !== 'string' || !Array.isArray(rec.events)) throw new NdjsonError(`${where}: not a fate record (needs "fate" and "events")`);
  const frame = typeof x.frame === 'number' ? x.frame : typeof rec.frame === 'number' ? rec.frame : seq;
  return {
    frame,
    tsSec: typeof x.tsSec === 'number' ? x.tsSec : 0,
    tsNsec: typeof x.tsNsec === 'number' ? x.tsNsec : 0,
    iface: typeof x.iface === 'string' ? x.iface : null,
    summary: typeof x.summary === 'string' ? x.summary : '(no summary in this record)',
    record: rec,
    bytes: hexBytes(x.bytes, where),
    linktype: typeof x.linktype === 'number' ? x.linktype : undefined,
  };
}

/** Streams an ndjson file in 1 MiB chunks; a bad line throws naming the file and line. */
export function ndjsonSource(path: string): ReplaySource {
  const fd = openSync(path, 'r');
  const total = fstatSync(fd).size;
  const buf = Buffer.alloc(1 << 20);
  let read = 0;
  let consumed = 0;
  let line = 0;
  let rest = '';
  let lines: string[] = [];
  let li = 0;
  let eof = false;
  let closed = false;
  const fill = (): boolean => {
    while (li >= lines.length) {
      if (eof) return false;
      const n = readSync(fd, buf, 0, buf.length, read);
      read += n;
      if (n === 0) {
        eof = true;
        lines = rest ? [rest] : [];
        rest = '';
      } else {
        const parts = (rest + buf.toString('utf8', 0, n)).split('\n');
        rest = parts.pop() ?? '';
        lines = parts;
      }
      li = 0;
    }
    return true;
  };
  return {
    title: path,
    totalBytes: total,
    bytesRead: () => consumed,
    next(): ReplayItem | null {
      for (;;) {
        if (!fill()) return null;
        const l = lines[li++];
        line++;
        consumed += Buffer.byteLength(l) + 1;
        if (!l.trim()) continue;
        let o: unknown;
        try {
          o = JSON.parse(l);
        } catch (e) {
          throw new NdjsonError(`${path}:${line}: invalid JSON (${(e as Error).message})`);
        }
        return toItem(o, `${path}:${line}`, line);
      }
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}
