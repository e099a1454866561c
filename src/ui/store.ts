// Rows of the timeline, kept outside React state: a plain growing columnar store, so a
// 1 M-frame capture costs a few typed arrays plus one summary string per frame. Records
// are interned by content (most frames of a capture share a path), keeping RSS bounded.
import type { FateKind, FateRecord } from '../kernel/fate.js';
import type { ReplayItem } from '../replay-types.js';

export const FATES: readonly FateKind[] = ['delivered', 'forwarded', 'bridged', 'consumed', 'dropped'];
const FATE_CODE = new Map<string, number>(FATES.map((f, i) => [f, i]));
/** code for a fate string the contract does not know (shown as-is, never guessed) */
export const FATE_OTHER = FATES.length;

/** captured bytes kept per frame for the header decoder (Ethernet + IPv6 + TCP with options) */
export const HEAD_BYTES = 128;
/** stop interning once this many distinct records exist (each further one is kept as-is) */
const INTERN_LIMIT = 100_000;

export class RowStore {
  count = 0;
  tsSec = new Float64Array(1024);
  tsNsec = new Uint32Array(1024);
  fate = new Uint8Array(1024);
  /** index into `reasons` (0 = none) */
  reason = new Uint16Array(1024);
  /** index into `ifaces` (0 = unknown) */
  iface = new Uint16Array(1024);
  frameNo = new Uint32Array(1024);
  /** offsets into `head` of each frame's first HEAD_BYTES bytes (when the source gives bytes) */
  headOff = new Float64Array(1025);
  head = new Uint8Array(64 * 1024);
  linktype = new Uint16Array(1024);
  /** summaries as UTF-8 in one pool: no per-frame string for the GC to trace */
  private sumPool = Buffer.alloc(1 << 20);
  sumOff = new Float64Array(1025);
  records: FateRecord[] = [];
  reasons: string[] = [''];
  ifaces: string[] = [''];
  /** frames per fate code (FATES order, then other) */
  fateCounts = new Array<number>(FATES.length + 1).fill(0);
  reasonCounts = new Map<string, number>();
  ruleHits = new Map<string, number>();
  /** unusual fate strings seen (FATE_OTHER rows) */
  otherFates = new Map<string, number>();
  firstTs: number | null = null;
  /** frames whose result depends on something the model does not support */
  unsupportedCount = 0;

  private reasonIdx = new Map<string, number>();
  private ifaceIdx = new Map<string, number>();
  private interned = new Map<string, FateRecord>();

  add(item: ReplayItem): void {
    const i = this.count;
    if (i === this.fate.length) this.grow();
    const r = item.record;
    this.tsSec[i] = item.tsSec;
    this.tsNsec[i] = item.tsNsec;
    this.frameNo[i] = item.frame;
    if (this.firstTs === null) this.firstTs = item.tsSec + item.tsNsec / 1e9;
    let fc = FATE_CODE.get(r.fate);
    if (fc === undefined) {
      fc = FATE_OTHER;
      this.otherFates.set(String(r.fate), (this.otherFates.get(String(r.fate)) ?? 0) + 1);
    }
    this.fate[i] = fc;
    this.fateCounts[fc]++;
    this.reason[i] = r.reason ? this.internReason(r.reason) : 0;
    if (r.reason) this.reasonCounts.set(r.reason, (this.reasonCounts.get(r.reason) ?? 0) + 1);
    this.iface[i] = item.iface ? this.internIface(item.iface) : 0;
    if (r.unsupported && r.unsupported.length) this.unsupportedCount++;
    if (r.verdicts) {
      for (const v of r.verdicts) {
        const key = v.rule
          ? `${v.family} ${v.table} ${v.chain}: ${v.rule}${v.source ? ` (${v.source})` : ''}`
          : `${v.family} ${v.table} ${v.chain}: policy ${v.verdict}`;
        this.ruleHits.set(key, (this.ruleHits.get(key) ?? 0) + 1);
      }
    }
    this.addSummary(i, item.summary);
    this.records.push(this.intern(r));
    this.linktype[i] = item.linktype ?? 0;
    const base = this.headOff[i];
    const bytes = item.bytes;
    const n = bytes ? Math.min(bytes.length, HEAD_BYTES) : 0;
    if (n) {
      if (base + n > this.head.length) {
        const h = new Uint8Array(this.head.length * 2);
        h.set(this.head);
        this.head = h;
      }
      this.head.set(bytes!.subarray(0, n), base);
    }
    this.headOff[i + 1] = base + n;
    this.count = i + 1;
  }

  summary(i: number): string {
    return this.sumPool.toString('utf8', this.sumOff[i], this.sumOff[i + 1]);
  }

  private addSummary(i: number, t: string): void {
    const at = this.sumOff[i];
    // a UTF-8 character is at most 3 bytes per UTF-16 unit
    if (at + t.length * 3 > this.sumPool.length) {
      const b = Buffer.alloc(Math.max(this.sumPool.length * 2, at + t.length * 3));
      this.sumPool.copy(b, 0, 0, at);
      this.sumPool = b;
    }
    this.sumOff[i + 1] = at + this.sumPool.write(t, at, 'utf8');
  }

  /** first bytes of row i as captured (empty when the source gave none) */
  bytes(i: number): Uint8Array {
    return this.head.subarray(this.headOff[i], this.headOff[i + 1]);
  }

  fateName(i: number): string {
    const c = this.fate[i];
    if (c < FATES.length) return FATES[c];
    return this.records[i].fate;
  }

  reasonName(i: number): string {
    return this.reasons[this.reason[i]];
  }

  ifaceName(i: number): string {
    return this.ifaces[this.iface[i]];
  }

  private internReason(s: string): number {
    let n = this.reasonIdx.get(s);
    if (n === undefined) {
      n = this.reasons.length;
      if (n > 0xffff) throw new Error(`more than 65535 distinct drop reasons (at "${s}")`);
      this.reasons.push(s);
      this.reasonIdx.set(s, n);
    }
    return n;
  }

  private internIface(s: string): number {
    let n = this.ifaceIdx.get(s);
    if (n === undefined) {
      n = this.ifaces.length;
      if (n > 0xffff) throw new Error(`more than 65535 distinct interfaces (at "${s}")`);
      this.ifaces.push(s);
      this.ifaceIdx.set(s, n);
    }
    return n;
  }

  /** share one object between frames whose records differ only in the frame number */
  private intern(r: FateRecord): FateRecord {
    if (this.interned.size >= INTERN_LIMIT) return r;
    const key = JSON.stringify([r.fate, r.reason, r.egress, r.replies, r.verdicts, r.socket, r.unsupported, r.events]);
    const hit = this.interned.get(key);
    if (hit) return hit;
    this.interned.set(key, r);
    return r;
  }

  private grow(): void {
    const n = this.fate.length * 2;
    const g = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(a: T, len = n): T => {
      const b = new (a.constructor as new (n: number) => T)(len);
      b.set(a);
      return b;
    };
    this.tsSec = g(this.tsSec);
    this.tsNsec = g(this.tsNsec);
    this.fate = g(this.fate);
    this.reason = g(this.reason);
    this.iface = g(this.iface);
    this.frameNo = g(this.frameNo);
    this.linktype = g(this.linktype);
    this.headOff = g(this.headOff, n + 1);
    this.sumOff = g(this.sumOff, n + 1);
  }
}
