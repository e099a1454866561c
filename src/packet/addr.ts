// Address <-> text. Formatting reads in place and allocates only the result string;
// parsing (configuration, CLI) allocates freely and returns null on bad input.

const DEC: string[] = [];
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) { DEC.push(String(i)); HEX2.push(i.toString(16).padStart(2, '0')); }

/** IPv4 address as an unsigned 32-bit host-order number -> dotted quad */
export function ipv4ToString(a: number): string {
  return DEC[(a >>> 24) & 255] + '.' + DEC[(a >>> 16) & 255] + '.' + DEC[(a >>> 8) & 255] + '.' + DEC[a & 255];
}
/** 4 bytes at buf[off] -> dotted quad */
export function ipv4BytesToString(buf: Uint8Array, off: number): string {
  return DEC[buf[off] | 0] + '.' + DEC[buf[off + 1] | 0] + '.' + DEC[buf[off + 2] | 0] + '.' + DEC[buf[off + 3] | 0];
}
/** strict dotted quad (four decimal parts 0-255, no leading '+', no empty parts) -> u32, or null */
export function parseIpv4(s: string): number | null {
  let a = 0, part = -1, parts = 0, digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (part < 0 || parts === 4) return null;
      a = a * 256 + part; parts++; part = -1; digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + c - 48;
      if (++digits > 3 || part > 255) return null;
    } else return null;
  }
  return parts === 4 ? a >>> 0 : null;
}

/**
 * 16 bytes at buf[off] -> RFC 5952 text: lower-case hex, no leading zeros, the longest run
 * (first on ties) of two or more zero groups as "::", and IPv4-mapped ::ffff:a.b.c.d.
 * This is what inet_ntop (tcpdump) and tshark print for the common cases.
 */
export function ipv6ToString(buf: Uint8Array, off: number): string {
  let bestStart = -1, bestLen = 0, curStart = -1, curLen = 0;
  for (let g = 0; g < 8; g++) {
    if ((buf[off + 2 * g] | buf[off + 2 * g + 1]) === 0) {
      if (curStart < 0) { curStart = g; curLen = 1; } else curLen++;
      if (curLen > bestLen) { bestStart = curStart; bestLen = curLen; }
    } else curStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped (::ffff:0:0/96)
  if (bestStart === 0 && bestLen === 5 && buf[off + 10] === 0xff && buf[off + 11] === 0xff) {
    return '::ffff:' + ipv4BytesToString(buf, off + 12);
  }
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) { s += '::'; g += bestLen - 1; continue; }
    if (s.length > 0 && s.charCodeAt(s.length - 1) !== 58) s += ':';
    const hi = buf[off + 2 * g] | 0, lo = buf[off + 2 * g + 1] | 0;
    s += hi === 0 ? lo.toString(16) : hi.toString(16) + HEX2[lo];
  }
  return s;
}

/** IPv6 text (RFC 4291 forms incl. "::" and a trailing dotted quad) -> 16 bytes, or null */
export function parseIpv6(s: string): Uint8Array | null {
  const out = new Uint8Array(16);
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const r: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseIpv4(it);
        if (v4 === null) return null;
        r.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
        r.push(parseInt(it, 16));
      }
    }
    return r;
  };
  const h = groups(head), t = groups(tail);
  if (h === null || t === null) return null;
  if (dbl < 0 ? h.length !== 8 : h.length + t.length > 7) return null;
  for (let i = 0; i < h.length; i++) { out[2 * i] = h[i] >>> 8; out[2 * i + 1] = h[i]; }
  for (let i = 0; i < t.length; i++) { const g = 8 - t.length + i; out[2 * g] = t[i] >>> 8; out[2 * g + 1] = t[i]; }
  return out;
}

/** 6 bytes at buf[off] -> "aa:bb:cc:dd:ee:ff" */
export function macToString(buf: Uint8Array, off: number): string {
  return HEX2[buf[off] | 0] + ':' + HEX2[buf[off + 1] | 0] + ':' + HEX2[buf[off + 2] | 0] + ':' +
    HEX2[buf[off + 3] | 0] + ':' + HEX2[buf[off + 4] | 0] + ':' + HEX2[buf[off + 5] | 0];
}
/** "aa:bb:cc:dd:ee:ff" (or '-' separated) -> 6 bytes, or null */
export function parseMac(s: string): Uint8Array | null {
  const m = /^([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})$/.exec(s);
  if (!m) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(m[i + 1], 16);
  return out;
}
