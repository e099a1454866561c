// tc-qdisc.json (`tc -j qdisc show`) and tc-filter.json ({"DEV": {"ingress": <tc -j filter show dev
// DEV ingress>, "egress": ...}}) into the host model. iproute2's JSON is read as printed:
// - u32 prints every key as its own "match" member (duplicate keys: all are kept, in order);
// - u32 with `offset` prints bare strings ("    offset ", " eat ") where a member belongs
//   (measured on iproute2 6.x): they are kept as flags under the key " bare".
// Everything the classifier models need is checked here so a bad file fails at load, naming
// the file and the key.
import type { HostTc, TcAction, TcFilter, TcQdisc, TcU32Key, TcU32Root } from '../types.js';
import { HostError } from '../errors.js';
import { Cursor, LooseJsonError, parseJson, parseLooseJson } from './json.js';

/** Duplicate keys after the first are stored as `key#2`, `key#3`... (insertion order kept); bare strings under " bare". */
export function parseTcJson(file: string, text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return parseLooseJson(text, { dupKeys: 'numbered', bareMembers: true });
  } catch (e) {
    if (!(e instanceof LooseJsonError)) throw new HostError(file, '', `invalid JSON: ${(e as Error).message}`);
    let line = 1;
    let col = 1;
    for (let k = 0; k < e.pos && k < text.length; k++) {
      if (text[k] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    throw new HostError(file, `line ${line} column ${col}`, `invalid JSON: expected ${e.expected}`);
  }
}

/** all values of a key tc may repeat ("match", "match#2", ...) */
function repeated(c: Cursor, key: string): Cursor[] {
  const out: Cursor[] = [];
  if (!c.has(key)) return out;
  out.push(c.get(key));
  for (let m = 2; c.has(`${key}#${m}`); m++) out.push(c.get(`${key}#${m}`));
  return out;
}

function hex(c: Cursor, key: string, dflt?: number): number {
  const v = c.value as Record<string, unknown>;
  const x = v[key];
  if (x === undefined || x === '') {
    if (dflt !== undefined) return dflt;
    throw c.err('missing (expected a hex number)', key);
  }
  if (typeof x === 'number') return x >>> 0;
  if (typeof x !== 'string' || !/^(0x)?[0-9a-fA-F]{1,8}$/.test(x)) throw c.err(`expected a hex number, found ${JSON.stringify(x)}`, key);
  return parseInt(x, 16) >>> 0;
}

/** "800:" -> 0x800 (TC_U32_HTID >> 20), "800:1:802" -> [0x800, 1, 0x802] */
function u32Handle(c: Cursor, key: string): number[] {
  const s = c.str(key);
  const m = /^([0-9a-fA-F]{1,3}):([0-9a-fA-F]{0,2})(?::([0-9a-fA-F]{1,3}))?$/.exec(s);
  if (!m) throw c.err(`expected a u32 handle (ht:bucket:node), found "${s}"`, key);
  return [parseInt(m[1]!, 16), m[2] ? parseInt(m[2], 16) : 0, m[3] ? parseInt(m[3], 16) : 0];
}

/** tc's protocol names (lib/ll_proto.c) */
const PROTO: Record<string, number> = {
  all: 0x0003, ip: 0x0800, ipv6: 0x86dd, arp: 0x0806, rarp: 0x8035, '802.1q': 0x8100, '802.1ad': 0x88a8, mpls_uc: 0x8847, mpls_mc: 0x8848, lldp: 0x88cc, '802_3': 0x0001, '802_2': 0x0004,
};

function protocolNumber(c: Cursor): number {
  const p = c.optStr('protocol') ?? 'all';
  const k = p.toLowerCase();
  if (k in PROTO) return PROTO[k]!;
  // ll_proto_n2a prints a number it has no name for in decimal brackets: "[34997]" (measured: 0x88b5)
  const br = /^\[(\d{1,5})\]$/.exec(k);
  if (br && +br[1]! <= 0xffff) return +br[1]!;
  if (/^0x[0-9a-f]{1,4}$/.test(k)) return parseInt(k, 16);
  throw c.err(`unknown protocol "${p}" (expected a name tc prints, e.g. ip, ipv6, all, 802.1Q, or [N])`, 'protocol');
}

function parseAction(a: Cursor): TcAction {
  const kind = a.str('kind');
  let control = 'pipe';
  let controlArg: number | undefined;
  if (a.has('control_action')) {
    const ca = a.get('control_action');
    control = ca.str('type');
    if (control === 'goto') controlArg = ca.num('chain');
    else if (control === 'jump') controlArg = ca.num('jump');
  }
  const act: TcAction = { kind, order: a.optNum('order') ?? 0, control, raw: a.value as Record<string, unknown>, where: a.path };
  if (controlArg !== undefined) act.controlArg = controlArg;
  if (kind === 'mirred') {
    const ma = a.str('mirred_action');
    const dir = a.str('direction');
    if (ma !== 'redirect' && ma !== 'mirror') throw a.err(`expected redirect or mirror, found "${ma}"`, 'mirred_action');
    if (dir !== 'ingress' && dir !== 'egress') throw a.err(`expected ingress or egress, found "${dir}"`, 'direction');
    act.mirred = { action: ma, direction: dir, dev: a.str('to_dev') };
  }
  return act;
}

function parseFilter(c: Cursor): TcFilter | null {
  if (!c.has('options')) return null; // the classifier instance's own line (protocol, pref, kind)
  const o = c.get('options');
  const kind = c.str('kind');
  const f: TcFilter = {
    chain: c.optNum('chain') ?? 0,
    pref: c.num('pref'),
    protocol: c.optStr('protocol') ?? 'all',
    ethType: protocolNumber(c),
    kind,
    // u32 prints "fh", cls_bpf "handle" as a string ("0x1"), flower/matchall a number (print_uint)
    handle: o.optStr('fh') ?? (typeof (o.value as Record<string, unknown>).handle === 'number' ? `0x${((o.value as Record<string, number>).handle >>> 0).toString(16)}` : o.optStr('handle')) ?? '',
    skipSw: o.flag('skip_sw'),
    actions: o.has('actions') ? o.get('actions').array().map(parseAction).sort((x, y) => x.order - y.order) : [],
    options: o.value as Record<string, unknown>,
    where: c.path,
  };
  const flowid = o.optStr('flowid') ?? o.optStr('classid');
  if (flowid !== undefined) f.classid = flowid;
  if (kind === 'u32') {
    const [ht, bkt, node] = u32Handle(o, 'fh');
    if (node === 0) {
      f.u32 = { ht: ht!, divisor: o.optNum('ht_divisor') ?? 1 };
    } else {
      const keys: TcU32Key[] = repeated(o, 'match').map((m) => ({ value: hex(m, 'value'), mask: hex(m, 'mask'), off: m.num('off'), offmask: m.optStr('offmask') === 'nexthdr+' ? 0xffffffff : hex(m, 'offmask', 0) }));
      const k: NonNullable<TcFilter['u32']> & { keys: TcU32Key[] } = { ht: ht!, bucket: bkt!, node: node!, keys, terminal: f.classid !== undefined || f.actions.length > 0 };
      if (o.has('link')) k.link = u32Handle(o, 'link')[0]!;
      const bare = ((o.value as Record<string, unknown>)[' bare'] as string[] | undefined) ?? [];
      if (bare.includes('offset') || o.has('offset_mask') || o.has('plus')) {
        // TC_U32_OFFSET / TC_U32_VAROFFSET (offset_mask/shift/off printed) and TC_U32_EAT (" eat ")
        const mask = hex(o, 'offset_mask', 0);
        k.offset = { off: o.optNum('plus') ?? 0, mask, shift: o.optNum('offset_shift') ?? 0, at: o.optNum('offset_off') ?? 0, variable: o.has('offset_mask'), eat: bare.includes('eat') };
      }
      if (o.has('hash_mask')) k.hash = { mask: hex(o, 'hash_mask'), off: o.num('hash_off') };
      f.u32 = k;
    }
  } else if (kind === 'bpf') {
    const b: NonNullable<TcFilter['bpf']> = { directAction: o.flag('direct-action') };
    if (o.has('bytecode')) {
      b.insns = o.get('bytecode').get('insns').array().map((x) => ({ code: x.num('code'), jt: x.num('jt'), jf: x.num('jf'), k: x.num('k') >>> 0 }));
    }
    if (o.has('prog')) {
      const p = o.get('prog');
      const tag = p.optStr('tag');
      b.prog = { id: p.num('id'), name: p.optStr('name') ?? '', ...(tag !== undefined ? { tag } : {}) };
    }
    const nm = o.optStr('bpf_name');
    if (nm !== undefined) b.name = nm;
    if (!b.insns && !b.prog) throw o.err('bpf filter without "bytecode" or "prog"');
    f.bpf = b;
  }
  return f;
}

export function parseTcQdiscs(file: string, text: string): TcQdisc[] {
  return new Cursor(file, '', parseJson(file, text)).array().map((c) => {
    const q: TcQdisc = { kind: c.str('kind'), handle: c.optStr('handle') ?? '', dev: c.str('dev'), root: c.flag('root') };
    const parent = c.optStr('parent');
    if (parent !== undefined) q.parent = parent;
    return q;
  });
}

/** one element of "u32_roots": what `tc -j filter get dev D HOOK chain C pref P protocol X handle fff: u32` prints */
function parseU32Root(c: Cursor): TcU32Root {
  const v = c.value as Record<string, unknown>;
  if (v.ingress !== true && v.egress !== true) throw c.err('expected "ingress": true or "egress": true');
  if (c.str('kind') !== 'u32') throw c.err('expected kind "u32"', 'kind');
  const [ht] = u32Handle(c.get('options'), 'fh');
  return { ingress: v.ingress === true, chain: c.optNum('chain') ?? 0, pref: c.num('pref'), ht: ht! };
}

/**
 * tc-filter.json against the qdiscs: every device in it needs an ingress or clsact qdisc in
 * tc-qdisc.json (when that file is there), egress filters need clsact.
 */
export function parseTcFilters(file: string, text: string, qdiscs: TcQdisc[] | null): HostTc['filters'] {
  const top = new Cursor(file, '', parseTcJson(file, text));
  if (top.value === null || typeof top.value !== 'object' || Array.isArray(top.value)) throw top.err('expected an object {"DEV": {"ingress": [...], "egress": [...]}}');
  const out: HostTc['filters'] = new Map();
  for (const dev of Object.keys(top.value as object)) {
    if (dev.includes('#')) throw top.err('device listed twice', dev.slice(0, dev.indexOf('#')));
    const d = top.get(dev);
    const q = qdiscs?.find((x) => x.dev === dev && (x.kind === 'clsact' || x.kind === 'ingress'));
    if (qdiscs && !q) throw d.err(`filters on ${dev}, but tc-qdisc.json shows no ingress or clsact qdisc on it`);
    const list = (k: 'ingress' | 'egress'): TcFilter[] => {
      if (!d.has(k)) return [];
      const fs: TcFilter[] = [];
      for (const c of d.get(k).array()) {
        const f = parseFilter(c);
        if (f) fs.push(f);
      }
      return fs;
    };
    const ingress = list('ingress');
    const egress = list('egress');
    const kind = q ? (q.kind as 'ingress' | 'clsact') : egress.length ? 'clsact' : 'ingress';
    if (kind === 'ingress' && egress.length) throw d.err(`egress filters on ${dev}, but its qdisc is "ingress" (only clsact has an egress hook)`, 'egress');
    const entry: { ingress: TcFilter[]; egress: TcFilter[]; qdisc: 'ingress' | 'clsact'; u32Roots?: TcU32Root[] } = { ingress, egress, qdisc: kind };
    if (d.has('u32_roots')) entry.u32Roots = d.get('u32_roots').array().map(parseU32Root);
    out.set(dev, entry);
  }
  return out;
}
