// Left-hand expressions (payload/meta/ct/fib) and constant values shared by the nft text and
// nft JSON parsers: what a field loads and how its constants are written.

import {
  CT_KEYS, FIELDS, META_KEYS, META_UNSUPPORTED, TYPE_LEN, isBitmask, parseIPv4, parseIPv6, parseMac, symbolTable, typeKind, typeSymbols,
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
  /** a load the model parses but does not evaluate: any constant is accepted as written */
  opaque?: boolean;
  /** a raw payload wider than 32 bits: constants are numbers written in hex or decimal, as wide binary strings */
  raw?: boolean;
  /** width in bits of a load the model does not evaluate, for nft's range check of its constants */
  checkBits?: number;
  /** a ct saddr/daddr without ip/ip6: nft needs the family from elsewhere (not in a map key or concatenation) */
  ctAddrNoL3?: boolean;
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
  if (field === 'expiration') return 'time';
  if (field === 'priority') return 'tc_handle';
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
  const syms = symbolTable('meta', key);
  return {
    load: { k: 'meta', key: k }, kind: str ? 'str' : 'int', syms, bitmask: false,
    types: [str ? 'ifname' : typeName('int', len, 'meta', key)], lens: [str ? 16 : len], bits: len * 8,
    // keys the model does not evaluate take their constants as written (realm names, exists/missing ...)
    opaque: META_UNSUPPORTED.has(key) && !syms && !['cpu', 'priority', 'random', 'cgroup'].includes(key),
  };
}

export function ctLhs(key: string, dir: 'original' | 'reply' | undefined, family: TableFamily, l3?: 'ip' | 'ip6'): Lhs | undefined {
  if (!CT_KEYS.has(key)) return undefined;
  const addr = key === 'saddr' || key === 'daddr';
  const kind: FieldDef['type'] = addr ? ((l3 ?? family) === 'ip6' ? 'ipv6' : 'ipv4') : key === 'helper' ? 'str' : 'int';
  const len = addr ? (kind === 'ipv6' ? 16 : 4) : key === 'proto-src' || key === 'proto-dst' ? 2 : key === 'protocol' || key === 'l3proto' ? 1 : key === 'bytes' || key === 'packets' || key === 'avgpkt' ? 8 : 4;
  const load: Load = dir ? { k: 'ct', key, dir } : { k: 'ct', key };
  return {
    load, kind, syms: symbolTable('ct', key), bitmask: isBitmask('ct', key),
    types: [key === 'state' ? 'ct_state' : key === 'status' ? 'ct_status' : typeName(kind, len, 'ct', key)], lens: [len], bits: len * 8,
  };
}

/** an Lhs for a set declared with `type A . B`, for parsing its elements */
export function typeLhs(types: string[]): Lhs {
  const parts: Lhs[] = types.map((t) => {
    // object references (quota, counter ...), typeof expressions the model does not evaluate
    if (['counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark'].includes(t) || !(t in TYPE_LEN) && !/^integer/.test(t) && !['ifname', 'iface_index', 'string', 'fib_addrtype', 'ct_label', 'ct_dir'].includes(t)) return opaqueLhs(t);
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
  if (lhs.raw) return parseWideInt(text, lhs.lens[0]!);
  if (lhs.opaque) return /^\d+$/.test(text) ? Number(text) : /^0x[0-9a-fA-F]+$/.test(text) ? parseInt(text, 16) : text;
  switch (lhs.kind) {
    case 'ipv4': {
      // nft reads an ipv4_addr given as an integer too (`ip saddr & 0xff == 1`)
      const a = parseIPv4(text);
      if (a !== undefined) return a;
      if (/^0x[0-9a-fA-F]{1,8}$/.test(text)) return parseInt(text, 16);
      if (/^\d+$/.test(text) && Number(text) <= 0xffffffff) return Number(text);
      return undefined;
    }
    case 'ipv6': return parseIPv6(text.replace(/^\[|\]$/g, ''));
    case 'mac': return parseMac(text);
    case 'str': return text;
    default: {
      if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text, 16);
      if (/^\d+$/.test(text)) return Number(text);
      const sym = lhs.syms?.[text];
      if (sym !== undefined) return sym;
      if (lhs.types[0] === 'time') return parseTimeMs(text);
      if (lhs.types[0] === 'tc_handle') return parseTcHandle(text);
      if (lhs.types[0] === 'inet_service' && text in SERVICES) return SERVICES[text];
      if (lhs.types[0] === 'inet_proto' && text in L4PROTO) return L4PROTO[text];
      return undefined;
    }
  }
}

/** nft time strings (`30s`, `30000ms`, `4d23h59m59s`) in milliseconds, or undefined */
export function parseTimeMs(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === '') return undefined;
  const [, d, h, mi, s, ms] = m;
  return (((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60 + Number(s ?? 0)) * 1000 + Number(ms ?? 0);
}

/** tc handles as nft writes them (`none`, `root`, `1:1234` in hex), or undefined */
export function parseTcHandle(text: string): number | undefined {
  if (text === 'none') return 0;
  if (text === 'root') return 0xffffffff;
  const m = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{0,4})$/.exec(text);
  if (!m) return undefined;
  return ((parseInt(m[1]!, 16) << 16) | (m[2] ? parseInt(m[2], 16) : 0)) >>> 0;
}

/** an Lhs for a load the model parses but does not evaluate */
export function opaqueLhs(what: string, kind: FieldDef['type'] = 'int', len = 4): Lhs {
  return { load: { k: 'opaque', what }, kind, bitmask: false, types: [what], lens: [len], bits: len * 8, opaque: true };
}

/** a hex or decimal integer as a big-endian binary string of `len` bytes (raw payload constants) */
export function parseWideInt(text: string, len: number): string | undefined {
  let v: bigint;
  try {
    if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return undefined;
    v = BigInt(text);
  } catch { return undefined; }
  let s = '';
  for (let i = 0; i < len; i++) { s = String.fromCharCode(Number(v & 255n)) + s; v >>= 8n; }
  return v === 0n ? s : undefined;
}
