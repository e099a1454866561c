// Left-hand expressions (payload/meta/ct/fib) and constant values shared by the nft text and
// nft JSON parsers: what a field loads and how its constants are written.

import {
  CT_KEYS, FIELDS, META_KEYS, TYPE_LEN, isBitmask, parseIPv4, parseIPv6, parseMac, symbolTable, typeKind, typeSymbols,
  type FieldDef, type Load, type TableFamily, type Val, L4PROTO,
} from './ir.js';

/** a left-hand expression with what is needed to read constants compared against it */
export interface Lhs {
  load: Load;
  kind: FieldDef['type'];
  syms?: Record<string, number>;
  bitmask: boolean;
  /** nft key type names (one per concatenation part) and byte lengths */
  types: string[];
  lens: number[];
  /** per-part kinds/symbols, for concatenations */
  parts?: Lhs[];
  /** bits of a number-valued key (for prefixes) */
  bits: number;
}

const SERVICES: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, bootps: 67, bootpc: 68, tftp: 69, http: 80, pop3: 110, ntp: 123, imap: 143, snmp: 161,
  ldap: 389, https: 443, submission: 587, imaps: 993, pop3s: 995, 'http-alt': 8080, 'ms-wbt-server': 3389, mysql: 3306, postgresql: 5432,
};

function typeName(kind: FieldDef['type'], len: number, proto: string, field: string): string {
  if (kind === 'ipv4') return 'ipv4_addr';
  if (kind === 'ipv6') return 'ipv6_addr';
  if (kind === 'mac') return 'ether_addr';
  if (kind === 'str') return 'ifname';
  if (field === 'sport' || field === 'dport' || field === 'proto-src' || field === 'proto-dst') return 'inet_service';
  if ((proto === 'ip' && field === 'protocol') || (proto === 'ip6' && field === 'nexthdr') || field === 'l4proto') return 'inet_proto';
  if (field === 'mark') return 'mark';
  return `integer(${len * 8})`;
}

export function payloadLhs(proto: string, field: string): Lhs | undefined {
  const f = FIELDS[proto]?.[field];
  if (!f) return undefined;
  const load: Load = { k: 'payload', base: f.base, offset: f.offset, len: f.len, proto, field };
  if (f.mask !== undefined) { load.mask = f.mask; load.shift = f.shift ?? 0; }
  const bits = f.mask !== undefined ? popcount(f.mask) : f.len * 8;
  return {
    load, kind: f.type, syms: symbolTable(proto, field), bitmask: isBitmask(proto, field),
    types: [typeName(f.type, f.len, proto, field)], lens: [f.len], bits,
  };
}

function popcount(m: number): number {
  let c = 0;
  while (m) { c += m & 1; m >>>= 1; }
  return c;
}

export function metaLhs(key: string): Lhs | undefined {
  if (!(key in META_KEYS)) return undefined;
  const str = META_KEYS[key] === 'str' || key === 'iif' || key === 'oif';
  // iif/oif compare ifindex in the kernel; the model compares the device (same thing for one snapshot)
  const k = key === 'iif' ? 'iifname' : key === 'oif' ? 'oifname' : key;
  const len = key === 'l4proto' || key === 'nfproto' || key === 'pkttype' ? 1 : key === 'protocol' ? 2 : 4;
  return {
    load: { k: 'meta', key: k }, kind: str ? 'str' : 'int', syms: symbolTable('meta', key), bitmask: false,
    types: [str ? 'ifname' : typeName('int', len, 'meta', key)], lens: [str ? 16 : len], bits: len * 8,
  };
}

export function ctLhs(key: string, dir: 'original' | 'reply' | undefined, family: TableFamily): Lhs | undefined {
  if (!CT_KEYS.has(key)) return undefined;
  const addr = key === 'saddr' || key === 'daddr';
  const kind: FieldDef['type'] = addr ? (family === 'ip6' ? 'ipv6' : 'ipv4') : 'int';
  const len = addr ? (kind === 'ipv6' ? 16 : 4) : key === 'proto-src' || key === 'proto-dst' ? 2 : key === 'protocol' || key === 'l3proto' ? 1 : 4;
  const load: Load = dir ? { k: 'ct', key, dir } : { k: 'ct', key };
  return {
    load, kind, syms: symbolTable('ct', key), bitmask: isBitmask('ct', key),
    types: [key === 'state' ? 'ct_state' : key === 'status' ? 'ct_status' : typeName(kind, len, 'ct', key)], lens: [len], bits: len * 8,
  };
}

/** an Lhs for a set declared with `type A . B`, for parsing its elements */
export function typeLhs(types: string[]): Lhs {
  const parts: Lhs[] = types.map((t) => {
    const kind = typeKind(t);
    const len = TYPE_LEN[t] ?? 4;
    return { load: { k: 'meta', key: 'mark' }, kind, syms: typeSymbols(t), bitmask: t === 'ct_state' || t === 'tcp_flag', types: [t], lens: [len], bits: len * 8 };
  });
  if (parts.length === 1) return parts[0]!;
  return concatLhs(parts);
}

export function concatLhs(parts: Lhs[]): Lhs {
  return {
    load: { k: 'concat', parts: parts.map((p) => p.load) }, kind: 'str', bitmask: false,
    types: parts.flatMap((p) => p.types), lens: parts.flatMap((p) => p.lens), parts, bits: 0,
  };
}

/** concatenation key: each part in a fixed width (numbers 4 bytes, names padded to 16), like nft registers */
export function concatKey(vals: Val[]): string {
  let s = '';
  for (const v of vals) {
    if (typeof v === 'number') s += String.fromCharCode((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    else s += v;
  }
  return s;
}

/** Parse one constant for `lhs`; undefined when it is not a valid value of that type. */
export function parseConst(lhs: Lhs, text: string): Val | undefined {
  switch (lhs.kind) {
    case 'ipv4': return parseIPv4(text);
    case 'ipv6': return parseIPv6(text.replace(/^\[|\]$/g, ''));
    case 'mac': return parseMac(text);
    case 'str': return text;
    default: {
      if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text, 16);
      if (/^\d+$/.test(text)) return Number(text);
      const sym = lhs.syms?.[text];
      if (sym !== undefined) return sym;
      if (lhs.types[0] === 'inet_service' && text in SERVICES) return SERVICES[text];
      if (lhs.types[0] === 'inet_proto' && text in L4PROTO) return L4PROTO[text];
      return undefined;
    }
  }
}
