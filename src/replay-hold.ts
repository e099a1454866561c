// Output order with packets waiting on a neighbour (src/kernel/neigh/queue.ts): a frame whose
// packet sits on an unresolved neighbour's arp_queue gets its fate only when a later frame answers
// (or the neighbour timer gives up on capture time). Records still leave in frame order: from the
// first held record on, every record waits in this FIFO until the head's outcomes are all in.
//
// Memory stays bounded: a neighbour settles within mcast_solicit x retrans_time of capture time
// (3 s by default), and at most MAX_HELD records (or MAX_HELD_BYTES of their captured bytes) wait.
// Past that, the head is given out with the outcome it would have without an answer and a note in
// `unsupported` (the later answer, if any, is then not applied to it).
import type { NeighHold } from './kernel/neigh/queue.js';
import type { FateRecord } from './kernel/fate.js';

export const MAX_HELD = 200_000;
export const MAX_HELD_BYTES = 64 * 1024 * 1024;

export interface Holdable {
  record: FateRecord;
  /** copy what the item views in the reader's buffer (it outlives the next read); returns the bytes kept */
  detach(): number;
}

export class HoldQueue<T extends Holdable> {
  private items: T[] = [];
  private holds: (NeighHold | null)[] = [];
  private head = 0;
  private bytes = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** a new record: given back at once when nothing waits, else kept (null) */
  offer(item: T, hold: NeighHold | null): T | null {
    if (this.size === 0 && (hold === null || hold.pending === 0)) {
      hold?.apply(item.record);
      return item;
    }
    this.bytes += item.detach();
    this.items.push(item);
    this.holds.push(hold);
    if (this.size > MAX_HELD || this.bytes > MAX_HELD_BYTES) this.release();
    return null;
  }

  /** the head when its outcomes are all in (or `force`: the capture ended, every timer has run) */
  take(force = false): T | null {
    if (this.size === 0) return null;
    const h = this.holds[this.head];
    if (h && h.pending > 0 && !h.released && !force) return null;
    return this.shift();
  }

  private shift(): T {
    const it = this.items[this.head]!;
    const h = this.holds[this.head];
    h?.apply(it.record);
    this.items[this.head] = undefined as unknown as T;
    this.holds[this.head] = null;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.holds = this.holds.slice(this.head);
      this.head = 0;
    }
    return it;
  }

  /** the limit is reached: the head (still waiting) leaves with its outcome so far, said so */
  private release(): void {
    const h = this.holds[this.head];
    if (h && h.pending > 0) {
      const r = this.items[this.head]!.record;
      const note = `neighbour resolution: more than ${MAX_HELD} records (or ${MAX_HELD_BYTES >> 20} MiB) would wait for this frame's outcome; given out as if no answer came`;
      r.unsupported = [...(r.unsupported ?? []), note];
      h.apply(r);
      h.released = true;
    }
  }
}
