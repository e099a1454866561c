// An iptables rule's words (what follows `-A CHAIN` in iptables-save, or on the iptables command
// line) -> its generic part and its list of matches and target with their options, checked the
// way iptables checks them before the rule reaches the kernel: libxtables' option parser
// (xtables_option_parse: unknown option, missing or malformed argument, `!` where the option
// cannot be inverted, an option given twice), each extension's final check (a mandatory option,
// options that exclude each other), and the kernel's checkentry that refuses a rule set
// (xt_check_match / xt_check_target: protocol the match needs, table and hooks the target may
// be used in). Option specs per extension: xt_spec.ts.

import { RulesetError } from './ir.js';
import { XT_MATCHES, XT_TARGETS, type XtExtSpec, type XtOptType } from './xt_spec.js';

export interface XtOpt {
  neg: boolean;
  /** the argument(s); [] for flags */
  v: string[];
}

export interface XtExt {
  name: string;
  opts: Map<string, XtOpt>;
  /** column of the -m / -j word (1-based), for errors */
  col: number;
}

export interface XtRule {
  src?: { addr: string; neg: boolean };
  dst?: { addr: string; neg: boolean };
  iif?: { name: string; neg: boolean };
  oif?: { name: string; neg: boolean };
  proto?: { name: string; num: number; neg: boolean };
  frag?: { neg: boolean };
  matches: XtExt[];
  target?: XtExt;
  goto: boolean;
}

export interface XtCtx {
  file: string;
  line: number;
  family: 'ip' | 'ip6';
  table: string;
  chain: string;
  /** the table's chains (a -j to a user chain) */
  chains: Set<string>;
  /**
   * iptables-restore's view: an unknown extension or option is an error. Without it (reading a
   * dump of what a kernel holds) they raise XtUnknown, which the reader turns into an
   * `unsupported` rule: a newer extension than the model knows must not make the load fail.
   */
  strict?: boolean;
  /** the rules are for iptables-nft (nft_compat does not pass the rule's other matches to a target's checkentry) */
  nftBackend?: boolean;
}

/** an extension or option the model does not know (see XtCtx.strict) */
export class XtUnknown extends Error {}

/** protocol names iptables accepts with -p (xtables_chain_protos + /etc/protocols names) */
export const XT_PROTOS: Record<string, number> = {
  tcp: 6, udp: 17, udplite: 136, icmp: 1, icmpv6: 58, 'ipv6-icmp': 58, esp: 50, ah: 51, sctp: 132, dccp: 33, mh: 135, 'ipv6-mh': 135,
  'mobility-header': 135, gre: 47, ipip: 4, igmp: 2, ipcomp: 108, ipv6: 41, 'ipv6-route': 43, 'ipv6-frag': 44, 'ipv6-opts': 60, 'ipv6-nonxt': 59,
  hopopt: 0, rsvp: 46, ospf: 89, pim: 103, vrrp: 112, l2tp: 115, encap: 98, etherip: 97, egp: 8, pup: 12, idp: 22, ggp: 3, st: 5, isis: 124, 'ipv4': 4,
};

const SHORT_WITH_ARG = new Set(['-p', '-s', '-d', '-i', '-o', '-j', '-g', '-m', '-c']);
const LONG_GENERIC: Record<string, string> = {
  '--protocol': '-p', '--source': '-s', '--src': '-s', '--destination': '-d', '--dst': '-d', '--in-interface': '-i', '--out-interface': '-o',
  '--jump': '-j', '--goto': '-g', '--match': '-m', '--fragment': '-f', '--set-counters': '-c',
};

/** a word of the rule; `quoted` words ("!" as a comment) are always arguments */
export interface XtWord { w: string; quoted?: boolean }

/** `--opt=value` -> `--opt value`, `-ptcp` -> `-p tcp` (getopt_long does both) */
function normalise(words: (string | XtWord)[]): { w: string; col: number; q?: boolean }[] {
  const out: { w: string; col: number; q?: boolean }[] = [];
  let col = 1;
  for (const x of words) {
    const w = typeof x === 'string' ? x : x.w;
    if (typeof x !== 'string' && x.quoted) { out.push({ w, col, q: true }); col += w.length + 3; continue; }
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    if (eq > 2) { out.push({ w: w.slice(0, eq), col }, { w: w.slice(eq + 1), col: col + eq + 1 }); }
    else if (/^-[a-zA-Z]./.test(w) && SHORT_WITH_ARG.has(w.slice(0, 2))) out.push({ w: w.slice(0, 2), col }, { w: w.slice(2), col: col + 2 });
    else out.push({ w, col });
    col += w.length + 1;
  }
  return out;
}

export function parseXtRule(words: (string | XtWord)[], cx: XtCtx, colBase = 1): XtRule {
  const toks = normalise(words);
  const r: XtRule = { matches: [], goto: false };
  const err = (col: number, msg: string): never => { throw new RulesetError(cx.file, cx.line, colBase + col - 1, msg); };
  // a dump holds what a kernel accepted: an extension's option it does not accept here (an
  // anonymised MAC, an option of an older revision) makes the rule unsupported, not the load fail
  const extErr = (col: number, msg: string): never => {
    if (!cx.strict) throw new XtUnknown(`${msg} (at column ${colBase + col - 1})`);
    return err(col, msg);
  };
  let i = 0;
  let neg = false, negCol = 0;
  // the extension whose options are read now, and the ones loaded earlier (an option belongs to
  // the latest loaded extension that has it, as in iptables' command_default)
  type Owner = { ext: XtExt; spec: XtExtSpec };
  let target = null as Owner | null;
  const loaded: { ext: XtExt; spec: XtExtSpec }[] = [];
  const takeArg = (name: string, col: number): string => {
    const t = toks[++i];
    if (t === undefined) err(col, `option "${name}" requires an argument`);
    // iptables < 1.4.3 printed `--dport ! 22`: the negation after the option
    if (t!.w === '!' && !t!.q && toks[i + 1] !== undefined) { neg = !neg; negCol = t!.col; return toks[++i]!.w; }
    return t!.w;
  };
  const loadExt = (name: string, col: number, isTarget: boolean): void => {
    const key = isTarget ? name : name.toLowerCase();
    const table = isTarget ? XT_TARGETS : XT_MATCHES;
    const spec = table[`${key}@${cx.family}`] ?? table[key];
    if (!spec || (spec.family && spec.family !== cx.family)) {
      if (!cx.strict) throw new XtUnknown(`${isTarget ? '-j' : '-m'} ${name} (not known to the model)`);
      if (isTarget) err(col, `Couldn't load target \`${name}':No such file or directory`);
      err(col, `Couldn't load match \`${name}':No such file or directory`);
    }
    const ext: XtExt = { name: isTarget ? name : spec!.canonical ?? name.toLowerCase(), opts: new Map(), col };
    if (isTarget) { r.target = ext; target = { ext, spec: spec! }; }
    else { r.matches.push(ext); loaded.push({ ext, spec: spec! }); }
  };
  for (; i < toks.length; i++) {
    const { w: raw, col, q } = toks[i]!;
    if (q) err(col, `Bad argument \`${raw}'`);
    if (raw === '!') {
      if (neg) err(col, 'multiple consecutive ! not allowed');
      neg = true; negCol = col;
      continue;
    }
    const w = LONG_GENERIC[raw] ?? raw;
    const n = neg;
    neg = false;
    switch (w) {
      case '-s': case '-d': {
        const v = takeArg(w, col);
        const key = w === '-s' ? 'src' : 'dst';
        if (r[key]) err(col, `multiple ${w} flags not allowed`);
        // xtables_ipparse_multiple / ip6parse: a prefix length beyond the address, or no mask at all
        for (const part of v.split(',')) {
          const m = part.split('/')[1];
          if (m !== undefined && hostCheck(`${cx.family === 'ip' ? '0.0.0.0' : '::'}/${m}`, cx.family, true) !== null) err(col, `invalid mask \`${m}' specified`);
        }
        r[key] = { addr: v, neg: n || neg };
        neg = false;
        continue;
      }
      case '-i': case '-o': {
        const v = takeArg(w, col);
        // xtables_parse_interface: IFNAMSIZ - 1
        if (v.length > 15) err(col, `interface name \`${v}' must be shorter than IFNAMSIZ (15)`);
        const key = w === '-i' ? 'iif' : 'oif';
        if (r[key]) err(col, `multiple ${w} flags not allowed`);
        r[key] = { name: v, neg: n || neg };
        neg = false;
        continue;
      }
      case '-p': {
        const v = takeArg(w, col).toLowerCase();
        if (r.proto) err(col, 'multiple -p flags not allowed');
        const num = /^\d+$/.test(v) ? Number(v) : v === 'all' ? 0 : XT_PROTOS[v];
        if (num === undefined || num > 255) err(col, `unknown protocol "${v}" specified`);
        // iptables: "rule would never match protocol"
        if (num === 0 && (n || neg)) err(col, 'rule would never match protocol');
        r.proto = { name: v, num: num!, neg: n || neg };
        neg = false;
        continue;
      }
      case '-f':
        if (cx.family === 'ip6') err(col, 'unknown option "-f"');
        if (r.frag) err(col, 'multiple -f flags not allowed');
        r.frag = { neg: n };
        continue;
      case '-c': {
        const a = takeArg(w, col);
        // iptables -c PKTS BYTES / -c PKTS,BYTES
        if (/^\d+,\d+$/.test(a)) continue;
        const b = toks[i + 1]?.w;
        if (/^\d+$/.test(a) && b !== undefined && /^\d+$/.test(b)) { i++; continue; }
        err(col, '-c requires packet and byte counter');
        continue;
      }
      case '-m': {
        if (n) err(negCol, 'unexpected ! flag before --match');
        loadExt(takeArg(w, col), toks[i]!.col, false);
        continue;
      }
      case '-j': case '-g': {
        if (r.target) err(col, 'multiple -j flags not allowed');
        const t = takeArg(w, col);
        r.goto = w === '-g';
        if (['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(t) || cx.chains.has(t)) {
          if (r.goto && !cx.chains.has(t)) err(col, `goto '${t}' is not a chain`);
          r.target = { name: t, opts: new Map(), col: toks[i]!.col };
          target = null;
        } else {
          if (r.goto) err(col, `goto '${t}' is not a chain`);
          loadExt(t, toks[i]!.col, true);
        }
        continue;
      }
    }
    if (!raw.startsWith('--') && !(raw.startsWith('-') && raw.length === 2)) err(col, `Bad argument \`${raw}'`);
    let name = raw.replace(/^--?/, '');
    // getopt_long takes an unambiguous prefix of a long option (--mac for --mac-source)
    // (the options of the protocol's implicit match too: iptables 1.8.9 takes `-p tcp --dpo 22`)
    const pm = r.proto && !r.proto.neg ? implicitProtoMatch(r.proto.name, r.proto.num) : undefined;
    const pmSpec = pm ? XT_MATCHES[`${pm}@${cx.family}`] ?? XT_MATCHES[pm] : undefined;
    if (raw.startsWith('--')) {
      const known = (o: Owner | null) => !!o && o.spec.o[name] !== undefined;
      if (!known(target) && !loaded.some(known) && pmSpec?.o[name] === undefined) {
        const cands = new Set<string>();
        for (const sp of [...loaded.map((o) => o.spec), ...(target ? [target.spec] : []), ...(pmSpec ? [pmSpec] : [])]) for (const k of Object.keys(sp.o)) if (k.startsWith(name)) cands.add(k);
        if (cands.size === 1) name = [...cands][0]!;
      }
    }
    // find the owner: the target's options first, then the matches, latest first
    let owner: Owner | null = target && target.spec.o[name] !== undefined ? target : null;
    if (!owner) for (let k = loaded.length - 1; k >= 0; k--) if (loaded[k]!.spec.o[name] !== undefined) { owner = loaded[k]!; break; }
    if (!owner && pm && pmSpec && pmSpec.o[name] !== undefined) {
      // iptables loads the protocol's match implicitly for its options (-p tcp --dport 22)
      const ext: XtExt = { name: pm, opts: new Map(), col };
      r.matches.push(ext);
      owner = { ext, spec: pmSpec };
      loaded.push(owner);
    }
    if (!owner) {
      if (!cx.strict && loaded.length + (target ? 1 : 0) > 0) throw new XtUnknown(`option ${raw}${loaded.length ? ` of -m ${loaded[loaded.length - 1]!.ext.name}` : ''} (not known to the model)`);
      err(col, `unknown option "${raw}"`);
    }
    const { ext, spec } = owner!;
    const type = spec.o[name]!;
    const o = parseOptType(type);
    // xtables_option_parse's texts (the option by its full name)
    if ((n || neg) && !o.inv) extErr(negCol || col, `${ext.name}: option "--${name}" cannot be inverted.`);
    if (ext.opts.has(name) && !o.multi) extErr(col, `${ext.name}: option "--${name}" can only be used once.`);
    const vals: string[] = [];
    let negAfter = false;
    for (let a = 0; a < o.nargs; a++) {
      const before: boolean = neg;
      vals.push(takeArg(raw, col));
      if (neg !== before) negAfter = true;
    }
    // optional argument (e.g. --set-counters): taken when the next word is not an option
    if (o.optional && toks[i + 1] !== undefined && (toks[i + 1]!.q || (!toks[i + 1]!.w.startsWith('-') && toks[i + 1]!.w !== '!'))) vals.push(toks[++i]!.w);
    const isNeg = n || neg || negAfter;
    neg = false;
    if ((isNeg) && !o.inv) extErr(col, `${ext.name}: option "--${name}" cannot be inverted.`);
    for (const v of vals) {
      // iptables up to 1.8.9 (and kernels) keep a reversed range a:b, a > b (it matches nothing);
      // 1.8.11 refuses it: a dump may hold one, the strict reading refuses it
      const bad = !cx.strict && RANGE_TYPES.has(o.t) && xtRangeLoose(v, 0xffffffff, o.t === 'portr') !== null ? null : checkValue(o.t, v, cx.family);
      if (bad) extErr(col, `${ext.name}: bad value for option "--${name}": "${v}" (${bad})`);
    }
    const prev = ext.opts.get(name);
    if (prev && o.multi) prev.v.push(...vals);
    else ext.opts.set(name, { neg: isNeg, v: vals });
  }
  if (neg) err(negCol, 'nothing appropriate following !');
  // final checks and the kernel's checkentry
  for (const { ext, spec } of loaded) finalCheck(ext, spec, r, cx, extErr);
  const tg = target as Owner | null;
  if (tg) finalCheck(tg.ext, tg.spec, r, cx, extErr);
  return r;
}

function implicitProtoMatch(name: string, num: number): string | undefined {
  switch (num) {
    case 6: return 'tcp';
    case 17: return 'udp';
    case 136: return 'udplite';
    case 1: return 'icmp';
    case 58: return 'icmp6';
    case 132: return 'sctp';
    case 33: return 'dccp';
    case 50: return 'esp';
    case 51: return 'ah';
    case 135: return 'mh';
    default: void name; return undefined;
  }
}

interface OptInfo { t: XtOptType; inv: boolean; multi: boolean; nargs: number; optional: boolean }
const optCache = new Map<string, OptInfo>();

/** "u8!" -> type u8, invertible; "*" may repeat; "#" two arguments; "?" optional argument */
function parseOptType(s: string): OptInfo {
  let o = optCache.get(s);
  if (o) return o;
  const m = /^([^!*?#]*)([!*?#]*)$/.exec(s)!;
  const t = m[1]! as XtOptType;
  o = { t, inv: m[2]!.includes('!'), multi: m[2]!.includes('*'), nargs: t === '-' || m[2]!.includes('?') ? 0 : m[2]!.includes('#') ? 2 : 1, optional: m[2]!.includes('?') };
  optCache.set(s, o);
  return o;
}

const num = (s: string): number | null => {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
  // a leading 0 is octal: strtoul stops at an 8 or 9 and xtables_strtoui refuses what is left
  // ("09": iptables 1.8.9 says bad value, fixtures/rulesets/evidence/xt-parse-messages.txt)
  if (/^0\d+$/.test(s)) return /^0[0-7]+$/.test(s) ? parseInt(s, 8) : null;
  if (/^\d+$/.test(s)) return Number(s);
  return null;
};

/** an unsigned integer of at most `max` (strtoul with base 0, as xtables_strtoui) */
export function xtUint(s: string, max: number): number | null {
  const v = num(s);
  return v === null || v > max ? null : v;
}

/** "a", "a:b", ":b", "a:", ":" (xtables_parse_range / XTTYPE_*RC) with a <= b */
export function xtRange(s: string, max: number, sep = ':'): [number, number] | null {
  const k = s.indexOf(sep);
  if (k < 0) { const v = xtUint(s, max); return v === null ? null : [v, v]; }
  const a = s.slice(0, k) === '' ? 0 : xtUint(s.slice(0, k), max);
  const b = s.slice(k + 1) === '' ? max : xtUint(s.slice(k + 1), max);
  if (a === null || b === null || a > b) return null;
  return [a, b];
}

const RANGE_TYPES = new Set<XtOptType>(['portr', 'u8r', 'u16r', 'u32r']);

/** a:b as written, also when a > b (the kernel keeps such a range: it matches nothing) */
export function xtRangeLoose(s: string, max: number, ports = false): [number, number] | null {
  const one = (t: string, def: number) => (t === '' ? def : ports ? xtPort(t) : xtUint(t, max));
  const k = s.indexOf(':');
  if (k < 0) { const v = one(s, -1); return v === null || v < 0 ? null : [v, v]; }
  const a = one(s.slice(0, k), 0), b = one(s.slice(k + 1), ports ? 65535 : max);
  return a === null || b === null ? null : [a, b];
}

/** services iptables resolves by name (getservbyname, /etc/services), the ones rule sets use */
export const SERVICES: Record<string, number> = {
  ftp: 21, 'ftp-data': 20, ssh: 22, telnet: 23, smtp: 25, domain: 53, bootps: 67, bootpc: 68, tftp: 69, http: 80, www: 80, kerberos: 88, pop3: 110,
  sunrpc: 111, auth: 113, ntp: 123, 'netbios-ns': 137, 'netbios-dgm': 138, 'netbios-ssn': 139, imap: 143, imap2: 143, snmp: 161, 'snmp-trap': 162, ldap: 389,
  https: 443, 'microsoft-ds': 445, isakmp: 500, syslog: 514, submission: 587, ldaps: 636, imaps: 993, pop3s: 995, openvpn: 1194, 'ms-sql-s': 1433,
  mysql: 3306, 'ipp': 631, echo: 7, discard: 9, daytime: 13, chargen: 19, time: 37, whois: 43, finger: 79, nntp: 119, bgp: 179, irc: 194, rsync: 873,
  'ipsec-nat-t': 4500, sip: 5060, xmpp: 5222, 'x11': 6000, 'http-alt': 8080, webcache: 8080, postgresql: 5432, nfs: 2049, ircd: 6667, 'squid': 3128,
};

export function xtPort(s: string): number | null {
  const v = xtUint(s, 65535);
  if (v !== null) return v;
  return SERVICES[s.toLowerCase()] ?? null;
}

export function xtPortRange(s: string): [number, number] | null {
  const k = s.indexOf(':');
  if (k < 0) { const v = xtPort(s); return v === null ? null : [v, v]; }
  const a = s.slice(0, k) === '' ? 0 : xtPort(s.slice(0, k));
  const b = s.slice(k + 1) === '' ? 65535 : xtPort(s.slice(k + 1));
  if (a === null || b === null || a > b) return null;
  return [a, b];
}

/** an error text for a malformed value, null when valid */
function checkValue(t: XtOptType, v: string, family: 'ip' | 'ip6'): string | null {
  switch (t) {
    case '-': case 'str': case 'any': return null;
    case 'nstr': return v === '' ? 'empty' : null;
    case 'u8': return xtUint(v, 255) === null ? 'not a number 0-255' : null;
    case 'u16': return xtUint(v, 65535) === null ? 'not a number 0-65535' : null;
    case 'u32': return xtUint(v, 0xffffffff) === null ? 'not a number 0-4294967295' : null;
    case 'u64': return /^(0x[0-9a-f]+|\d+)$/i.test(v) && BigInt(v) <= 0xffffffffffffffffn ? null : 'not a 64-bit number';
    case 'u8r': return xtRange(v, 255) === null ? 'bad range' : null;
    case 'u16r': return xtRange(v, 65535) === null ? 'bad range' : null;
    case 'u32r': return xtRange(v, 0xffffffff) === null ? 'bad range' : null;
    case 'port': return xtPort(v) === null ? 'bad port' : null;
    case 'portr': return xtPortRange(v) === null ? 'bad port range' : null;
    case 'mark': {
      const [a, b, c] = v.split('/');
      return c !== undefined || xtUint(a!, 0xffffffff) === null || (b !== undefined && xtUint(b, 0xffffffff) === null) ? 'bad mark' : null;
    }
    case 'host': return hostCheck(v, family, false);
    case 'net': return hostCheck(v, family, true);
    case 'rate': return /^\d+(\/(s|sec|second|m|min|minute|h|hour|d|day))?$/.test(v) && Number(v.split('/')[0]) > 0 ? null : 'bad rate';
    default: return null;
  }
}

function hostCheck(v: string, family: 'ip' | 'ip6', mask: boolean): string | null {
  const [a, m] = v.split('/');
  const ok = family === 'ip' ? /^\d{1,3}(\.\d{1,3}){0,3}$/.test(a!) && a!.split('.').every((x) => Number(x) <= 255) : /^[0-9a-f:.]+$/i.test(a!) && a!.includes(':');
  if (!ok) return 'bad address';
  if (m === undefined) return null;
  if (!mask) return 'no mask allowed';
  const max = family === 'ip' ? 32 : 128;
  if (/^\d+$/.test(m) && Number(m) <= max) return null;
  if (family === 'ip' && /^\d{1,3}(\.\d{1,3}){3}$/.test(m)) return null;
  if (family === 'ip6' && m.includes(':')) return null;
  return 'bad mask';
}

const BUILTIN_HOOKS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

function finalCheck(ext: XtExt, spec: XtExtSpec, r: XtRule, cx: XtCtx, err: (col: number, msg: string) => never): void {
  const has = (k: string) => ext.opts.has(k);
  const label = ext.name;
  if (spec.req) for (const k of spec.req) if (!has(k)) err(ext.col, `${label}: option "--${k}" must be specified`);
  // xtables_options_fcheck's exclusion text: it walks the options in the extension's table order
  // (here the group's order) and names the first given one, then the next
  const together = (grp: string[]) => {
    const given = grp.filter(has);
    return `${label}: option "--${given[0]}" cannot be used together with "--${given[1]}".`;
  };
  if (spec.one) {
    for (const grp of spec.one) {
      const n = grp.filter(has).length;
      if (n === 0) err(ext.col, `${label}: one of ${grp.map((g) => `--${g}`).join(', ')} is required`);
      if (n > 1) err(ext.col, together(grp));
    }
  }
  if (spec.excl) for (const grp of spec.excl) if (grp.filter(has).length > 1) err(ext.col, together(grp));
  if (spec.proto) {
    // xt_check_match / xt_check_target: "only valid for protocol N"
    if (!r.proto || r.proto.neg || !spec.proto.includes(r.proto.num)) err(ext.col, `${label}: only valid with -p ${spec.protoName ?? spec.proto.join('/')} (xt_check_proto)`);
  }
  if (spec.tables && !spec.tables.includes(cx.table)) err(ext.col, `${label}: only valid in the ${spec.tables.join('/')} table (kernel: x_tables: ip_tables: ${label} target: only valid in ${spec.tables.join('/')} table, not ${cx.table})`);
  if (spec.hooks && BUILTIN_HOOKS.has(cx.chain) && !spec.hooks.includes(cx.chain)) err(ext.col, `${label}: not valid in chain ${cx.chain} (only ${spec.hooks.join(', ')})`);
  const msg = spec.check?.(ext, r, cx);
  if (msg) err(ext.col, `${label}: ${msg}`);
}
