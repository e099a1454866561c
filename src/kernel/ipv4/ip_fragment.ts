// IPv4 reassembly: net/ipv4/ip_fragment.c ip_defrag / ip_frag_queue / ip_frag_reasm with
// net/ipv4/inet_fragment.c inet_frag_queue_insert (overlap -> whole queue discarded, an exact
// duplicate inside a run -> only that fragment dropped, DUP_FRAG). Queues expire after
// net.ipv4.ipfrag_time seconds of capture time. inet_frag_find refuses every fragment, of a new or
// an existing queue, while the queued memory is above ipfrag_high_thresh or when it is 0 (recorded
// on 6.18: thresh 1 refuses the second fragment, 0 both, kfree_skb NOT_SPECIFIED in ip_defrag).
// Memory is counted in payload bytes here; the kernel counts skb truesize (several times more).
// Fragment payloads are copied when queued: the capture buffer is reused per frame.

import type { Host } from '../../host/types.js';

export interface FragPiece {
  offset: number;
  end: number;
  data: Uint8Array; // payload copy
}

export interface FragQueue {
  key: string;
  created: number; // ms of capture time
  /** total length once the last fragment is in (q.len) */
  len: number;
  meat: number;
  firstIn: boolean;
  lastIn: boolean;
  /** IP header (and link header before it) of the offset-0 fragment */
  firstHdr: Uint8Array | null;
  pieces: FragPiece[];
  /** fragment runs [offset, end) as inet_frag_queue_insert keeps them */
  runs: { offset: number; end: number }[];
  tailOffset: number;
  tailEnd: number;
  frames: number[];
  /** q.max_size: total length of the largest fragment (ip_frag_queue), kept by ip_defrag */
  maxSize?: number;
}

export type FragResult =
  | { kind: 'queued'; q: FragQueue }
  | { kind: 'drop'; reason: string; why: string; /** inet_frag_find gave no queue: the caller frees the skb itself */ refused?: true }
  | { kind: 'complete'; q: FragQueue; payload: Uint8Array };

export class IpFragQueues {
  private readonly qs = new Map<string, FragQueue>();
  private mem = 0;
  readonly timeoutMs: number;
  readonly highThresh: number;

  constructor(host: Host) {
    this.timeoutMs = host.sysctls.getInt('net.ipv4.ipfrag_time') * 1000;
    this.highThresh = host.sysctls.getInt('net.ipv4.ipfrag_high_thresh');
  }

  get size(): number {
    return this.qs.size;
  }

  /** queued payload bytes (frag_mem_limit, in payload bytes rather than truesize) */
  get memory(): number {
    return this.mem;
  }

  private expire(nowMs: number): void {
    for (const q of this.qs.values()) if (nowMs - q.created > this.timeoutMs) this.kill(q);
  }

  private kill(q: FragQueue): void {
    this.qs.delete(q.key);
    for (const p of q.pieces) this.mem -= p.data.length;
  }

  /**
   * ip_frag_queue for one fragment. `offset` bytes, `payload` the fragment data (view),
   * `mf` more-fragments flag, `hdr` the headers to keep when offset is 0.
   */
  queue(key: string, nowMs: number, offset: number, mf: boolean, payload: Uint8Array, hdr: Uint8Array | null, frame: number): FragResult {
    // inet_frag_find, before the lookup: the ip_expire timers that fired before this frame have
    // freed their queues' memory by then
    if (this.mem > this.highThresh) this.expire(nowMs);
    if (!this.highThresh || this.mem > this.highThresh) return { kind: 'drop', reason: 'NOT_SPECIFIED', why: 'ipfrag_high_thresh reached (inet_frag_find fails)', refused: true };
    let q = this.qs.get(key);
    if (q && nowMs - q.created > this.timeoutMs) {
      // ip_expire ran between frames: the old queue is gone
      this.kill(q);
      q = undefined;
    }
    if (!q) {
      q = { key, created: nowMs, len: 0, meat: 0, firstIn: false, lastIn: false, firstHdr: null, pieces: [], runs: [], tailOffset: -1, tailEnd: -1, frames: [] };
      this.qs.set(key, q);
    }
    let end = offset + payload.length;
    if (!mf) {
      // final fragment: bits beyond end or a different end mean corruption
      if (end < q.len || (q.lastIn && end !== q.len)) {
        this.kill(q);
        return { kind: 'drop', reason: 'NOT_SPECIFIED', why: 'last fragment disagrees with queue length (discard_qp)' };
      }
      q.lastIn = true;
      q.len = end;
    } else {
      if (end & 7) end &= ~7;
      if (end > q.len) {
        if (q.lastIn) {
          this.kill(q);
          return { kind: 'drop', reason: 'NOT_SPECIFIED', why: 'fragment beyond the last one (discard_qp)' };
        }
        q.len = end;
      }
    }
    if (end === offset) {
      this.kill(q);
      return { kind: 'drop', reason: 'NOT_SPECIFIED', why: 'empty fragment (discard_qp)' };
    }
    // inet_frag_queue_insert
    if (q.tailEnd < 0) {
      q.runs.push({ offset, end });
    } else if (q.tailEnd < end) {
      if (offset < q.tailEnd) {
        this.kill(q);
        return { kind: 'drop', reason: 'NOT_SPECIFIED', why: 'overlapping fragment (IPFRAG_OVERLAP): queue discarded' };
      }
      if (offset === q.tailEnd) q.runs[q.runs.length - 1].end = end;
      else q.runs.push({ offset, end });
    } else {
      for (const r of q.runs) {
        if (end <= r.offset || offset >= r.end) continue;
        if (offset >= r.offset && end <= r.end) return { kind: 'drop', reason: 'DUP_FRAG', why: 'duplicate fragment (IPFRAG_DUP)' };
        this.kill(q);
        return { kind: 'drop', reason: 'NOT_SPECIFIED', why: 'overlapping fragment (IPFRAG_OVERLAP): queue discarded' };
      }
      q.runs.push({ offset, end });
      q.runs.sort((a, b) => a.offset - b.offset);
    }
    if (q.tailEnd < end) {
      q.tailOffset = offset;
      q.tailEnd = end;
    }
    const data = payload.slice(0, end - offset);
    q.pieces.push({ offset, end, data });
    this.mem += data.length;
    q.meat += end - offset;
    q.frames.push(frame);
    if (offset === 0) {
      q.firstIn = true;
      q.firstHdr = hdr ? hdr.slice() : null;
    }
    if (q.firstIn && q.lastIn && q.meat === q.len) {
      // ip_frag_reasm
      const out = new Uint8Array(q.len);
      for (const p of q.pieces) out.set(p.data, p.offset);
      this.kill(q);
      return { kind: 'complete', q, payload: out };
    }
    return { kind: 'queued', q };
  }
}
