// The small output machine tcpdump's printers share (netdissect.h, util-print.c), so the
// application printers here can follow tcpdump's code line by line: reads past the captured
// bytes abort the printer like tcpdump's GET_* macros (longjmp) and the caller appends
// " [|proto]" (nd_print_trunc). Only the summary / app paths use this, never the decoder.

/** thrown by a read past the end of the captured bytes (tcpdump's nd_trunc_longjmp) */
export const TRUNC: { readonly trunc: true } = { trunc: true };

export class Out {
  /** the text so far */
  s = '';
  /** tcpdump's ndo_protocol: named by " [|proto]" on truncation */
  proto = '';
  /** b: the frame's bytes; end: tcpdump's snapend (captured bytes, clipped to the IP datagram) */
  constructor(public b: Uint8Array, public end: number) {}

  reset(b: Uint8Array, end: number): this { this.b = b; this.end = end; this.s = ''; this.proto = ''; return this; }
  /** ND_TTEST_LEN */
  has(o: number, n: number): boolean { return o >= 0 && o + n <= this.end; }
  u8(o: number): number { if (o < 0 || o + 1 > this.end) throw TRUNC; return this.b[o]; }
  s8(o: number): number { const v = this.u8(o); return v > 127 ? v - 256 : v; }
  u16(o: number): number { if (o < 0 || o + 2 > this.end) throw TRUNC; return (this.b[o] << 8) | this.b[o + 1]; }
  u24(o: number): number { if (o < 0 || o + 3 > this.end) throw TRUNC; return (this.b[o] << 16) | (this.b[o + 1] << 8) | this.b[o + 2]; }
  u32(o: number): number {
    if (o < 0 || o + 4 > this.end) throw TRUNC;
    const b = this.b;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }
  /** ND_TCHECK_LEN */
  check(o: number, n: number): void { if (o < 0 || o + n > this.end) throw TRUNC; }
  /** fn_print_char: non-ASCII as "M-", control characters as "^X" */
  char(c: number): void {
    if (c > 0x7f) { c &= 0x7f; this.s += 'M-'; }
    if (c < 0x20 || c > 0x7e) { c ^= 0x40; this.s += '^'; }
    this.s += String.fromCharCode(c);
  }
  /** nd_printn: n characters or up to `ep` (-1: no limit but the capture); true when incomplete */
  printn(o: number, n: number, ep: number): boolean {
    while (n > 0 && (ep < 0 || o < ep)) { n--; this.char(this.u8(o++)); }
    return n !== 0;
  }
  /** nd_printztn: a NUL-terminated string of at most n bytes; bytes used, 0 when truncated */
  printztn(o: number, n: number, ep: number): number {
    let bytes = 0;
    for (;;) {
      if (n === 0 || (ep >= 0 && o >= ep)) return 0;
      const c = this.u8(o++);
      bytes++;
      n--;
      if (c === 0) return bytes;
      this.char(c);
    }
  }
  /** nd_printjnp: up to n bytes, stops at NUL */
  printjnp(o: number, n: number): void {
    while (n > 0) { const c = this.u8(o); if (c === 0) break; this.char(c); n--; o++; }
  }
  /** `throw o.truncNow()`: tcpdump's `goto trunc` */
  truncNow(): typeof TRUNC { return TRUNC; }
  /** nd_print_trunc */
  trunc(): void { this.s += ` [|${this.proto}]`; }
}

export function hex2(n: number): string { return (n < 16 ? '0' : '') + n.toString(16); }

/** run a printer; a read past the capture ends the text with " [|proto]" like tcpdump */
export function runPrinter(o: Out, f: (o: Out) => void): string {
  try { f(o); } catch (e) { if (e !== TRUNC) throw e; o.trunc(); }
  return o.s;
}
