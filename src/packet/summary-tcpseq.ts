// tcpdump's tcp_seq_hash (print-tcp.c): the first sequence and acknowledgement numbers of each
// TCP conversation, so later segments print relative numbers. tcpdump keys an entry by both
// addresses and the two ports in a fixed collating order (one entry for both directions),
// rewrites it on every SYN that carries an ACK, and never frees one: a conversation seen once is
// remembered to the end of the capture, however many others follow. We keep exactly that, in
// open-addressing tables of 32-bit words (3 key words + seq + ack + a used mark = 24 bytes a
// slot; IPv6 addresses replaced by numbers), so a million conversations cost ~30 MB and no
// per-frame string or object.
// One difference, so memory stays bounded on any capture: past MAX_CONVERSATIONS per table a new
// conversation is not remembered (its segments print the absolute numbers tcpdump prints for a
// conversation's first segment); the ones remembered stay exact.

/** conversations (or IPv6 addresses) a table remembers at most: 2^20, ~48 MB of slots at most */
export const MAX_CONVERSATIONS = 1 << 20;

/** hash of the `n` words at k[o] */
function hash(k: Uint32Array, o: number, n: number): number {
  let h = 0x9e3779b9;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ k[o + i], 0x85ebca6b) ^ (h >>> 15);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** One table: fixed-width keys of `kw` 32-bit words, values seq and ack, and a word that marks
 *  the slot used (in the same cache line as the key: one memory access per probe). */
class SeqTable {
  private readonly stride: number;
  private cap = 0;
  private mask = 0;
  private words = new Uint32Array(0);
  size = 0;
  /** whether the last find() found the key (else it inserted it) */
  found = false;

  constructor(private readonly kw: number, private readonly limit = MAX_CONVERSATIONS) {
    this.stride = kw + 3;
    this.alloc(1024);
  }

  private alloc(cap: number): void {
    this.cap = cap;
    this.mask = cap - 1;
    this.words = new Uint32Array(cap * this.stride);
  }

  /** slot (word offset) of `key` (kw words), inserting a zeroed entry if absent; -1 when absent
   *  and the table is full (MAX_CONVERSATIONS) */
  find(key: Uint32Array): number {
    const kw = this.kw, st = this.stride, w = this.words;
    let s = hash(key, 0, kw) & this.mask;
    for (;;) {
      const b = s * st;
      if (w[b + kw + 2] === 0) break;
      let i = 0;
      while (i < kw && w[b + i] === key[i]) i++;
      if (i === kw) { this.found = true; return b; }
      s = (s + 1) & this.mask;
    }
    this.found = false;
    if (this.size >= this.limit) return -1;
    // load factor 3/4
    if ((this.size + 1) * 4 > this.cap * 3) {
      this.grow();
      return this.find(key);
    }
    this.size++;
    const b = s * st;
    for (let i = 0; i < kw; i++) w[b + i] = key[i];
    w[b + kw + 2] = 1;
    return b;
  }

  seq(slot: number): number { return this.words[slot + this.kw]; }
  ack(slot: number): number { return this.words[slot + this.kw + 1]; }
  set(slot: number, seq: number, ack: number): void {
    this.words[slot + this.kw] = seq;
    this.words[slot + this.kw + 1] = ack;
  }

  /** twice the slots; every entry moved (keys are distinct: no comparison needed) */
  private grow(): void {
    const ow = this.words, ocap = this.cap, st = this.stride, kw = this.kw;
    this.alloc(ocap * 2);
    const w = this.words, mask = this.mask;
    for (let s = 0; s < ocap; s++) {
      const b = s * st;
      if (ow[b + kw + 2] === 0) continue;
      let n = hash(ow, b, kw) & mask;
      while (w[n * st + kw + 2] !== 0) n = (n + 1) & mask;
      for (let i = 0, d = n * st; i < st; i++) w[d + i] = ow[b + i];
    }
  }

  clear(): void {
    this.alloc(1024);
    this.size = 0;
  }

  /** bytes held by the table */
  get bytes(): number { return this.words.byteLength; }
}

function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/**
 * print-tcp.c tcp_print's relative sequence numbers. `relative` fills `out` with [seq, ack] as
 * tcpdump prints them and returns whether the segment's numbers were made relative (false when
 * tcpdump (re)records the conversation: first segment with ACK seen, or a SYN with ACK).
 * `base` then holds what tcpdump subtracts from SACK blocks (its thseq/thack by direction).
 */
export class TcpSeqTables {
  private readonly v4: SeqTable;
  /** IPv6 conversations keyed by the numbers of their two addresses (below) and the ports:
   *  24 bytes a slot instead of 48, as a capture has far fewer addresses than conversations */
  private readonly v6: SeqTable;
  /** IPv6 address -> its number (1, 2, ... in the seq word), never freed like the conversations */
  private readonly v6addr: SeqTable;

  /** `limit`: conversations remembered per table (tests make it small) */
  constructor(limit = MAX_CONVERSATIONS) {
    this.v4 = new SeqTable(3, limit);
    this.v6 = new SeqTable(3, limit);
    this.v6addr = new SeqTable(4, limit);
  }
  private readonly key = new Uint32Array(4);
  /** [seq, ack] to print */
  readonly out = new Uint32Array(2);
  /** what tcpdump subtracts from SACK edges for this segment (rev ? th->seq : th->ack) */
  sackBase = 0;

  get conversations(): number { return this.v4.size + this.v6.size; }
  get bytes(): number { return this.v4.bytes + this.v6.bytes + this.v6addr.bytes; }
  clear(): void { this.v4.clear(); this.v6.clear(); this.v6addr.clear(); }

  /** the number of the IPv6 address at b[o] (uses `key`: call before filling it) */
  private addrId(b: Uint8Array, o: number): number {
    const k = this.key;
    k[0] = be32(b, o); k[1] = be32(b, o + 4); k[2] = be32(b, o + 8); k[3] = be32(b, o + 12);
    const t = this.v6addr;
    const slot = t.find(k);
    if (slot < 0) return -1;
    if (!t.found) t.set(slot, t.size, 0);
    return t.seq(slot);
  }

  /**
   * b: the frame; src/dst: address offsets; alen 4 or 16; ports; seq/ack of the segment; syn:
   * the SYN flag. Called only for segments with ACK, as tcpdump (without -S) does.
   */
  relative(b: Uint8Array, src: number, dst: number, alen: number, sport: number, dport: number, seq: number, ack: number, syn: boolean): void {
    // collating order: rev when sport > dport, or equal ports and src address > dst (memcmp)
    let rev = sport > dport;
    if (sport === dport) {
      for (let i = 0; i < alen; i++) {
        const x = b[src + i], y = b[dst + i];
        if (x !== y) { rev = x > y; break; }
      }
    }
    // key: tha {src, dst, port} in that order (IPv6 addresses by their numbers)
    const k = this.key;
    const a = rev ? dst : src, c = rev ? src : dst;
    let t: SeqTable;
    if (alen === 4) {
      k[0] = be32(b, a);
      k[1] = be32(b, c);
      t = this.v4;
    } else {
      const na = this.addrId(b, a);
      const nc = this.addrId(b, c);
      k[1] = nc;
      k[0] = na;
      t = this.v6;
      if (na < 0 || nc < 0) return this.forgotten(seq, ack);
    }
    k[2] = rev ? ((dport << 16) | sport) >>> 0 : ((sport << 16) | dport) >>> 0;
    const slot = t.find(k);
    if (slot < 0) return this.forgotten(seq, ack);
    const out = this.out;
    if (!t.found || syn) {
      // didn't find it or new conversation
      if (rev) t.set(slot, (ack - 1) >>> 0, seq);
      else t.set(slot, seq, (ack - 1) >>> 0);
      out[0] = seq;
      out[1] = ack;
    } else if (rev) {
      out[0] = (seq - t.ack(slot)) >>> 0;
      out[1] = (ack - t.seq(slot)) >>> 0;
    } else {
      out[0] = (seq - t.seq(slot)) >>> 0;
      out[1] = (ack - t.ack(slot)) >>> 0;
    }
    this.sackBase = rev ? t.seq(slot) : t.ack(slot);
  }

  /** a conversation the full table cannot remember: printed as tcpdump prints a first segment */
  private forgotten(seq: number, ack: number): void {
    this.out[0] = seq;
    this.out[1] = ack;
    // what relative() keeps for a new conversation, in either direction
    this.sackBase = (ack - 1) >>> 0;
  }
}
