// Tiny builders for hand-made pcap / pcapng bytes in either byte order (test helper).
export type Opt = [code: number, value: Uint8Array];

const enc = new TextEncoder();
export const str = (s: string) => enc.encode(s);
export const u8 = (...b: number[]) => Uint8Array.from(b);

export function cat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u16(le: boolean, v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v, le);
  return b;
}
export function u32(le: boolean, v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, le);
  return b;
}
export function i64(le: boolean, v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, le);
  return b;
}
const pad4 = (b: Uint8Array) => cat(b, new Uint8Array((4 - (b.length & 3)) & 3));

// ---- pcap --------------------------------------------------------------------------------

export interface PcapRec {
  sec: number;
  sub: number;
  data: Uint8Array;
  len?: number;
  caplen?: number;
  /** modified-pcap extra 8 bytes: ifindex, protocol, pkt_type */
  pktType?: number;
}

export function pcap(o: { le?: boolean; magic?: number; snaplen?: number; linktype?: number; major?: number; recs?: PcapRec[] }): Uint8Array {
  const le = o.le ?? true;
  const magic = o.magic ?? 0xa1b2c3d4;
  const parts = [u32(le, magic), u16(le, o.major ?? 2), u16(le, 4), u32(le, 0), u32(le, 0), u32(le, o.snaplen ?? 65535), u32(le, o.linktype ?? 1)];
  for (const r of o.recs ?? []) {
    parts.push(u32(le, r.sec), u32(le, r.sub), u32(le, r.caplen ?? r.data.length), u32(le, r.len ?? r.data.length));
    if (magic === 0xa1b2cd34) parts.push(u32(le, 3), u16(le, 0x0800), u8(r.pktType ?? 0, 0));
    parts.push(r.data);
  }
  return cat(...parts);
}

// ---- pcapng ------------------------------------------------------------------------------

export function opts(le: boolean, list: Opt[], end = true): Uint8Array {
  if (list.length === 0) return new Uint8Array(0);
  const parts = list.map(([c, v]) => cat(u16(le, c), u16(le, v.length), pad4(v)));
  if (end) parts.push(new Uint8Array(4));
  return cat(...parts);
}

export function block(le: boolean, type: number, body: Uint8Array, lenOverride?: number): Uint8Array {
  const total = lenOverride ?? 12 + body.length;
  return cat(u32(le, type), u32(le, total), body, u32(le, total));
}

export function shb(le: boolean, o: Opt[] = [], minor = 0): Uint8Array {
  return block(le, 0x0a0d0d0a, cat(u32(le, 0x1a2b3c4d), u16(le, 1), u16(le, minor), i64(le, -1n), opts(le, o)));
}

export function idb(le: boolean, linktype: number, snaplen = 0, o: Opt[] = []): Uint8Array {
  return block(le, 1, cat(u16(le, linktype), u16(le, 0), u32(le, snaplen), opts(le, o)));
}

/** ts in interface units as a bigint */
export function epb(le: boolean, iface: number, ts: bigint, data: Uint8Array, o: Opt[] = [], len?: number, caplen?: number): Uint8Array {
  return block(le, 6, cat(u32(le, iface), u32(le, Number(ts >> 32n)), u32(le, Number(ts & 0xffffffffn)), u32(le, caplen ?? data.length), u32(le, len ?? data.length), pad4(data), opts(le, o)));
}

export function opb(le: boolean, iface: number, ts: bigint, data: Uint8Array, o: Opt[] = [], drops = 0): Uint8Array {
  return block(le, 2, cat(u16(le, iface), u16(le, drops), u32(le, Number(ts >> 32n)), u32(le, Number(ts & 0xffffffffn)), u32(le, data.length), u32(le, data.length), pad4(data), opts(le, o)));
}

export function spb(le: boolean, len: number, data: Uint8Array): Uint8Array {
  return block(le, 3, cat(u32(le, len), pad4(data)));
}
