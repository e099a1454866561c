// Text <-> binary address helpers for the snapshot loader. IPv4 as u32 host order, IPv6 16 bytes.
// Return null on malformed input (callers turn that into a HostError naming the place).

export function parseIPv4(s: string): number | null {
  const p = s.split('.');
  if (p.length !== 4) return null;
  let v = 0;
  for (const o of p) {
    if (!/^\d{1,3}$/.test(o)) return null;
    const n = Number(o);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function parseIPv6(s: string): Uint8Array | null {
  const out = new Uint8Array(16);
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return null;
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const g = part.split(':');
    const words: number[] = [];
    for (let i = 0; i < g.length; i++) {
      const x = g[i]!;
      if (i === g.length - 1 && x.includes('.')) {
        const v4 = parseIPv4(x);
        if (v4 === null) return null;
        words.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(x)) return null;
        words.push(parseInt(x, 16));
      }
    }
    return words;
  };
  let words: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const w = parseGroups(s);
    if (!w || w.length !== 8) return null;
    words = w;
  }
  for (let i = 0; i < 8; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  return out;
}

export function parseMac(s: string): Uint8Array | null {
  const p = s.split(':');
  if (p.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p[i]!)) return null;
    out[i] = parseInt(p[i]!, 16);
  }
  return out;
}

export function ipv4ToString(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** IPv4 network mask for a prefix length, as u32. */
export function ipv4Mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function ipAddrFamily(s: string): 4 | 6 | null {
  if (s.includes(':')) return parseIPv6(s) ? 6 : null;
  return parseIPv4(s) !== null ? 4 : null;
}
