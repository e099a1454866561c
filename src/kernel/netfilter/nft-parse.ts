// nft rule-set text -> IR. Reads `nft list ruleset` output (with or without -a handles) and
// hand-written /etc/nftables.conf files: define/$var, include, table/chain/set/map blocks,
// `add table|chain|rule|set|element` commands, anonymous sets, intervals, concatenations,
// verdict maps. Errors name file:line:col as nft does. Expressions the model does not evaluate
// become {k:'unsupported'} with the rule's source, never a silent match or miss.

import { tokenize, type Tok } from './nft-lexer.js';
import {
  ICMPX_CODE, ICMPV6_CODE, ICMP_CODE, RulesetError, TCP_FLAGS, namedPriority, newTable, parseIPv4, parseIPv6, prefixRange,
  type BaseChainDef, type Expr, type IrChain, type IrRule, type IrRuleset, type IrTable, type Load, type SetDef, type SetElem,
  type TableFamily, type Val, type VerdictExpr,
} from './ir.js';
import { concatKey, concatLhs, ctLhs, metaLhs, parseConst, payloadLhs, typeLhs, type Lhs } from './nft-values.js';

const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const VERDICTS = new Set(['accept', 'drop', 'continue', 'return', 'queue']);
const UNSUPPORTED_STMTS = new Set([
  'numgen', 'jhash', 'symhash', 'osf', 'socket', 'rt', 'exthdr', 'ipsec', 'dup', 'fwd', 'quota', 'synproxy', 'tproxy', 'flow', 'update', 'add',
  'hbh', 'rt0', 'rt2', 'srh', 'frag', 'dst', 'mh', 'tunnel', 'xt', 'last', 'secmark', 'cgroupv2',
]);

export interface NftParseOptions {
  /** read an included file; relative paths are resolved by the caller against the including file */
  readInclude?: (path: string, from: string) => { path: string; text: string } | undefined;
}

interface Cursor {
  toks: Tok[];
  pos: number;
}

export function parseNftText(text: string, file: string, opts: NftParseOptions = {}, into?: IrRuleset): IrRuleset {
  const rs: IrRuleset = into ?? { tables: [], ipsets: new Map(), notes: [] };
  const p = new NftParser(rs, opts);
  p.parseFile(text, file, 0);
  return rs;
}

class NftParser {
  private defines = new Map<string, Tok[]>();
  private lines = new Map<string, string[]>();

  constructor(private rs: IrRuleset, private opts: NftParseOptions) {}

  parseFile(text: string, file: string, depth: number): void {
    if (depth > 16) throw new RulesetError(file, 1, 1, 'include nesting too deep');
    this.lines.set(file, text.split('\n'));
    const c: Cursor = { toks: tokenize(text, file), pos: 0 };
    while (peek(c).t !== 'eof') {
      const t = next(c);
      if (t.t === 'nl' || (t.t === 'punct' && t.v === ';')) continue;
      if (t.t !== 'word') throw err(t, `syntax error, unexpected ${show(t)}`);
      switch (t.v) {
        case 'define':
        case 'redefine': {
          const name = expect(c, 'word');
          expectP(c, '=');
          this.defines.set(name.v, this.expand(collect(c)));
          break;
        }
        case 'undefine': this.defines.delete(expect(c, 'word').v); break;
        case 'include': {
          const f = expect(c, 'str');
          const inc = this.opts.readInclude?.(f.v, file);
          if (!inc) throw err(f, `File not found: ${f.v}`);
          this.parseFile(inc.text, inc.path, depth + 1);
          break;
        }
        case 'flush': {
          const what = next(c);
          if (what.v === 'ruleset') this.rs.tables.length = 0;
          else collect(c); // flush table/chain before redefining it: nothing loaded yet to flush
          break;
        }
        case 'table': this.parseTableBlock(c, file); break;
        case 'add':
        case 'create':
        case 'insert': this.parseCommand(c, t, file); break;
        default: throw err(t, `syntax error, unexpected ${t.v}`);
      }
    }
  }

  private expand(toks: Tok[], depth = 0): Tok[] {
    const out: Tok[] = [];
    for (const t of toks) {
      if (t.t === 'word' && t.v.startsWith('$')) {
        const def = this.defines.get(t.v.slice(1));
        if (!def) throw new RulesetError(t.file, t.line, t.col + 1, `unknown identifier '${t.v.slice(1)}'`);
        if (depth > 10) throw err(t, 'recursive definition');
        // a value like 10.0.0.1:80 glued to a variable stays one word
        out.push(...this.expand(def, depth + 1).map((d) => ({ ...d, line: t.line, col: t.col, file: t.file })));
      } else out.push(t);
    }
    return out;
  }

  private familyAndName(c: Cursor): { family: TableFamily; name: string; tok: Tok } {
    let t = expect(c, 'word', 'str');
    let family: TableFamily = 'ip';
    if (FAMILIES.has(t.v) && (peek(c).t === 'word' || peek(c).t === 'str')) {
      family = t.v as TableFamily;
      t = next(c);
    }
    return { family, name: t.v, tok: t };
  }

  private table(family: TableFamily, name: string): IrTable {
    let tb = this.rs.tables.find((x) => x.family === family && x.name === name && x.origin === 'nft');
    if (!tb) {
      tb = newTable(family, name, 'nft');
      this.rs.tables.push(tb);
    }
    return tb;
  }

  private parseTableBlock(c: Cursor, file: string): void {
    const { family, name } = this.familyAndName(c);
    const tb = this.table(family, name);
    if (peek(c).t !== 'punct' || peek(c).v !== '{') return;
    next(c);
    for (;;) {
      const t = next(c);
      if (t.t === 'nl' || (t.t === 'punct' && t.v === ';')) continue;
      if (t.t === 'punct' && t.v === '}') return;
      if (t.t === 'eof') throw err(t, "syntax error, unexpected end of file, expecting '}'");
      if (t.t !== 'word') throw err(t, `syntax error, unexpected ${show(t)}`);
      switch (t.v) {
        case 'chain': {
          const n = expect(c, 'word', 'str');
          this.parseChainBody(c, tb, this.chain(tb, n.v, n), file);
          break;
        }
        case 'set':
        case 'map': {
          const n = expect(c, 'word', 'str');
          this.parseSetBody(c, tb, n, t.v === 'map');
          break;
        }
        case 'flags': case 'comment': collect(c); break;
        default: {
          // stateful objects (counter, quota, ct helper, flowtable ...): skipped, a rule using them is unsupported
          collect(c);
          this.rs.notes.push(`${file}:${t.line}: table ${family} ${name}: '${t.v}' object not modelled`);
        }
      }
    }
  }

  private chain(tb: IrTable, name: string, tok: Tok): IrChain {
    let ch = tb.chains.find((x) => x.name === name);
    if (!ch) {
      ch = { name, rules: [], src: { file: tok.file, line: tok.line, text: `chain ${name}` } };
      tb.chains.push(ch);
    }
    return ch;
  }

  private parseChainBody(c: Cursor, tb: IrTable, ch: IrChain, file: string): void {
    if (peek(c).t !== 'punct' || peek(c).v !== '{') return;
    next(c);
    for (;;) {
      while (peek(c).t === 'nl' || (peek(c).t === 'punct' && peek(c).v === ';')) next(c);
      const t = peek(c);
      if (t.t === 'punct' && t.v === '}') { next(c); return; }
      if (t.t === 'eof') throw err(t, "syntax error, unexpected end of file, expecting '}'");
      const stmt = this.expand(collect(c));
      if (stmt.length === 0) continue;
      const w = stmt[0]!.v;
      if (w === 'type' && stmt[0]!.t === 'word') ch.base = this.parseBaseSpec(stmt, tb, ch);
      else if (w === 'policy' && stmt[0]!.t === 'word') {
        const pv = stmt[1];
        if (!ch.base) throw err(stmt[0]!, 'policy on a regular chain');
        if (!pv || (pv.v !== 'accept' && pv.v !== 'drop')) throw err(pv ?? stmt[0]!, 'policy must be accept or drop');
        ch.base.policy = pv.v;
      } else if (w === 'comment' && stmt[0]!.t === 'word') continue;
      else if ((w === 'devices' || w === 'device') && ch.base) ch.base.devices = stmt.filter((x) => x.t === 'word' || x.t === 'str').slice(1).map((x) => x.v);
      else ch.rules.push(this.parseRule(stmt, tb, ch, file));
    }
  }

  private parseBaseSpec(stmt: Tok[], tb: IrTable, ch: IrChain): BaseChainDef {
    const c: Cursor = { toks: [...stmt, eofTok(stmt)], pos: 1 };
    const type = expect(c, 'word');
    if (type.v !== 'filter' && type.v !== 'nat' && type.v !== 'route') throw err(type, `unknown chain type '${type.v}'`);
    if (expect(c, 'word').v !== 'hook') throw err(stmt[2] ?? type, "expecting 'hook'");
    const hook = expect(c, 'word');
    const base: BaseChainDef = { type: type.v, hook: hook.v, priority: 0, policy: 'accept' };
    for (;;) {
      const t = next(c);
      if (t.t === 'eof') break;
      if (t.v === 'device') base.devices = [expect(c, 'word', 'str').v];
      else if (t.v === 'devices') {
        expectP(c, '=');
        const list: string[] = [];
        if (peek(c).v === '{') {
          next(c);
          while (peek(c).v !== '}' && peek(c).t !== 'eof') {
            const d = next(c);
            if (d.t === 'word' || d.t === 'str') list.push(d.v);
          }
          next(c);
        } else list.push(expect(c, 'word', 'str').v);
        base.devices = list;
      } else if (t.v === 'priority') base.priority = this.parsePriority(c, tb.family, t);
      else throw err(t, `syntax error, unexpected ${show(t)}`);
    }
    void ch;
    return base;
  }

  private parsePriority(c: Cursor, family: TableFamily, at: Tok): number {
    const t = next(c);
    let v: number | undefined;
    if (/^-?\d+$/.test(t.v)) v = Number(t.v);
    else {
      // "filter", "filter-10", "filter - 10", "dstnat+5"
      const m = /^([a-z]+)([+-]\d+)?$/.exec(t.v);
      if (m) {
        v = namedPriority(family, m[1]!);
        if (v === undefined) throw err(at, 'invalid priority expression value in this context.');
        if (m[2]) v += Number(m[2]);
      }
    }
    if (v === undefined) throw err(at, 'invalid priority expression value in this context.');
    const op = peek(c);
    if (op.t === 'punct' && (op.v === '-' || op.v === '+')) {
      next(c);
      const n = next(c);
      if (!/^\d+$/.test(n.v)) throw err(n, 'priority offset must be a number');
      v += op.v === '-' ? -Number(n.v) : Number(n.v);
    } else if (op.t === 'word' && /^[+-]\d+$/.test(op.v)) {
      next(c);
      v += Number(op.v);
    }
    return v;
  }

  private parseSetBody(c: Cursor, tb: IrTable, nameTok: Tok, isMap: boolean): void {
    const set: SetDef = { name: nameTok.v, keyTypes: [], keyLens: [], interval: false, elems: [], src: { file: nameTok.file, line: nameTok.line, text: `${isMap ? 'map' : 'set'} ${nameTok.v}` } };
    expectP(c, '{');
    let pendingElems: Tok[] | null = null;
    for (;;) {
      while (peek(c).t === 'nl' || (peek(c).t === 'punct' && peek(c).v === ';')) next(c);
      const t = peek(c);
      if (t.t === 'punct' && t.v === '}') { next(c); break; }
      if (t.t === 'eof') throw err(t, "syntax error, unexpected end of file, expecting '}'");
      const stmt = this.expand(collect(c));
      const w = stmt[0]!.v;
      if (w === 'type' || w === 'typeof') {
        const colon = stmt.findIndex((x) => x.v === ':');
        const keyToks = stmt.slice(1, colon < 0 ? undefined : colon);
        if (w === 'type') set.keyTypes = keyToks.filter((x) => x.v !== '.').map((x) => x.v);
        else {
          const lhs = this.parseLhs({ toks: [...keyToks, eofTok(stmt)], pos: 0 }, tb.family);
          set.keyTypes = lhs.types;
        }
        if (colon >= 0) set.dataType = stmt.slice(colon + 1).map((x) => x.v).join(' ');
      } else if (w === 'flags') {
        if (stmt.some((x) => x.v === 'interval')) set.interval = true;
      } else if (w === 'elements') {
        pendingElems = stmt.slice(2);
      }
      // size, timeout, gc-interval, policy, counter, comment, auto-merge: no effect on matching
    }
    if (set.keyTypes.length === 0) throw err(nameTok, `set '${nameTok.v}' has no type`);
    const lhs = typeLhs(set.keyTypes);
    set.keyLens = lhs.lens;
    if (pendingElems) {
      const ec: Cursor = { toks: [...pendingElems, eofTok(pendingElems)], pos: 0 };
      expectP(ec, '{');
      this.parseElements(ec, lhs, set, isMap, tb);
    }
    tb.sets.set(set.name, set);
  }

  /** elements after '{' up to the matching '}' */
  private parseElements(c: Cursor, lhs: Lhs, set: SetDef, isMap: boolean, tb: IrTable): void {
    for (;;) {
      while (peek(c).t === 'nl' || peek(c).v === ',') next(c);
      const t = peek(c);
      if (t.t === 'punct' && t.v === '}') { next(c); return; }
      if (t.t === 'eof') throw err(t, "syntax error, expecting '}'");
      const el = this.parseElemKey(c, lhs, tb);
      if (el.key[0] === el.key[1] && !el.parts) set.elems.push({ key: el.key[0] });
      else {
        set.interval = true;
        set.elems.push(el.parts ? { key: el.key, parts: el.parts } : { key: el.key });
      }
      // element options: timeout/expires/comment/counter
      while (peek(c).t === 'word' && ['timeout', 'expires', 'comment', 'counter', 'packets', 'bytes'].includes(peek(c).v)) {
        const o = next(c).v;
        if (o !== 'counter') next(c);
      }
      if (peek(c).v === ':') {
        next(c);
        if (!isMap) throw err(peek(c), 'element data in a set (not a map)');
        const last = set.elems[set.elems.length - 1]!;
        const d = peek(c);
        if (d.t === 'word' && (VERDICTS.has(d.v) || d.v === 'jump' || d.v === 'goto')) last.data = this.parseVerdict(c);
        else {
          const dt = next(c);
          const dv = parseIPv4(dt.v) ?? (/^\d+$/.test(dt.v) ? Number(dt.v) : /^0x[0-9a-f]+$/i.test(dt.v) ? parseInt(dt.v, 16) : parseIPv6(dt.v) ?? dt.v);
          last.data = dv;
        }
      }
      void tb;
    }
  }

  /** one element: value, range a-b, prefix a/n, or a concatenation a . b */
  private parseElemKey(c: Cursor, lhs: Lhs, tb: IrTable): { key: [Val, Val]; parts?: [Val, Val][] } {
    const parts = lhs.parts ?? [lhs];
    const ranges: [Val, Val][] = [];
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) expectP(c, '.');
      ranges.push(this.parseValueRange(c, parts[i]!, tb.family));
    }
    if (parts.length === 1) return { key: ranges[0]! };
    const exact = ranges.every((r) => r[0] === r[1]);
    const key = concatKey(ranges.map((r) => r[0]));
    return exact ? { key: [key, key] } : { key: [key, concatKey(ranges.map((r) => r[1]))], parts: ranges };
  }

  /** a single constant, range or prefix, as an inclusive interval */
  private parseValueRange(c: Cursor, lhs: Lhs, family: TableFamily): [Val, Val] {
    const t = next(c);
    if (t.t !== 'word' && t.t !== 'str') throw err(t, `syntax error, unexpected ${show(t)}`);
    const text = t.v;
    if (t.t === 'word') {
      const slash = text.indexOf('/');
      if (slash > 0 && lhs.kind !== 'str') {
        const v = parseConst(lhs, text.slice(0, slash));
        const plen = Number(text.slice(slash + 1));
        const width = lhs.kind === 'ipv6' ? 128 : lhs.kind === 'ipv4' ? 32 : lhs.bits;
        if (v === undefined || !/^\d+$/.test(text.slice(slash + 1)) || plen > width) throw err(t, `Could not parse ${lhs.types[0]} prefix '${text}'`);
        return prefixRange(v, plen, width);
      }
      const dash = findRangeDash(text, lhs);
      if (dash > 0) {
        const lo = parseConst(lhs, text.slice(0, dash)), hi = parseConst(lhs, text.slice(dash + 1));
        if (lo === undefined || hi === undefined) throw err(t, `Could not parse ${lhs.types[0]} range '${text}'`);
        return [lo, hi];
      }
    }
    const v = parseConst(lhs, text);
    if (v === undefined) throw err(t, `Could not parse ${lhs.types.join(' . ')} value '${text}'`);
    if (peek(c).t === 'punct' && peek(c).v === '-') {
      next(c);
      const h = next(c);
      const hv = parseConst(lhs, h.v);
      if (hv === undefined) throw err(h, `Could not parse range end '${h.v}'`);
      return [v, hv];
    }
    void family;
    return [v, v];
  }

  private parseVerdict(c: Cursor): VerdictExpr {
    const t = next(c);
    if (t.v === 'jump' || t.v === 'goto') return { k: 'verdict', v: t.v, chain: expect(c, 'word', 'str').v };
    if (VERDICTS.has(t.v)) {
      if (t.v === 'queue') while (peek(c).t === 'word' && ['num', 'bypass', 'fanout', 'flags', 'to'].includes(peek(c).v)) next(c);
      return { k: 'verdict', v: t.v as VerdictExpr['v'] };
    }
    throw err(t, `syntax error, unexpected ${show(t)}, expecting verdict`);
  }

  private parseCommand(c: Cursor, verb: Tok, file: string): void {
    const what = expect(c, 'word');
    if (what.v === 'table') return this.parseTableBlock(c, file);
    if (what.v === 'chain') {
      const { family, name } = this.familyAndName(c);
      const n = expect(c, 'word', 'str');
      const tb = this.findTable(family, name, n);
      this.parseChainBody(c, tb, this.chain(tb, n.v, n), file);
      return;
    }
    if (what.v === 'set' || what.v === 'map') {
      const { family, name } = this.familyAndName(c);
      const n = expect(c, 'word', 'str');
      this.parseSetBody(c, this.findTable(family, name, n), n, what.v === 'map');
      return;
    }
    if (what.v === 'rule') {
      const { family, name } = this.familyAndName(c);
      const n = expect(c, 'word', 'str');
      const tb = this.findTable(family, name, n);
      const ch = tb.chains.find((x) => x.name === n.v);
      if (!ch) throw err(n, `No such file or directory; did you mean chain '${n.v}' in table ${family} '${name}'? (chain not defined)`);
      const stmt = this.expand(collect(c));
      const rule = this.parseRule(stmt, tb, ch, file);
      if (verb.v === 'insert') ch.rules.unshift(rule);
      else ch.rules.push(rule);
      return;
    }
    if (what.v === 'element') {
      const { family, name } = this.familyAndName(c);
      const n = expect(c, 'word', 'str');
      const tb = this.findTable(family, name, n);
      const set = tb.sets.get(n.v);
      if (!set) throw err(n, `set '${n.v}' does not exist`);
      const stmt = this.expand(collect(c));
      const ec: Cursor = { toks: [...stmt, eofTok(stmt)], pos: 0 };
      expectP(ec, '{');
      this.parseElements(ec, typeLhs(set.keyTypes), set, set.dataType !== undefined, tb);
      return;
    }
    throw err(what, `syntax error, unexpected ${what.v}`);
  }

  private findTable(family: TableFamily, name: string, at: Tok): IrTable {
    const tb = this.rs.tables.find((x) => x.family === family && x.name === name);
    if (!tb) throw err(at, `table ${family} ${name} does not exist`);
    return tb;
  }

  // ---------------- rules ----------------

  private parseRule(stmt: Tok[], tb: IrTable, ch: IrChain, file: string): IrRule {
    const first = stmt[0]!;
    const srcLine = this.lines.get(first.file)?.[first.line - 1]?.trim() ?? stmt.map((x) => x.v).join(' ');
    let handle = ch.rules.length + 1;
    const toks = stmt.filter((x) => {
      if (x.t === 'handle') { handle = Number(x.v); return false; }
      return true;
    });
    const rule: IrRule = { handle, exprs: [], src: { file: first.file, line: first.line, text: srcLine.replace(/\s*# handle \d+$/, '') } };
    const c: Cursor = { toks: [...toks, eofTok(stmt)], pos: 0 };
    while (peek(c).t !== 'eof') {
      const e = this.parseStmt(c, tb, rule);
      if (e) rule.exprs.push(e);
    }
    void file;
    return rule;
  }

  private parseStmt(c: Cursor, tb: IrTable, rule: IrRule): Expr | null {
    const t = peek(c);
    if (t.t !== 'word') throw err(t, `syntax error, unexpected ${show(t)}`);
    const w = t.v;
    if (VERDICTS.has(w) || w === 'jump' || w === 'goto') return this.parseVerdict(c);
    switch (w) {
      case 'counter': {
        next(c);
        if (peek(c).v === 'name') { next(c); next(c); }
        while (peek(c).v === 'packets' || peek(c).v === 'bytes') { next(c); next(c); }
        return { k: 'counter' };
      }
      case 'comment': next(c); rule.comment = expect(c, 'str', 'word').v; return null;
      case 'notrack': next(c); return { k: 'notrack' };
      case 'log': return this.parseLog(c);
      case 'limit': return this.parseLimit(c);
      case 'reject': return this.parseReject(c, tb.family);
      case 'snat': case 'dnat': case 'masquerade': case 'redirect': return this.parseNat(c, tb.family);
      case 'mark': // `mark set X` (short for meta mark set)
        if (c.toks[c.pos + 1]?.v === 'set') {
          next(c); next(c);
          return { k: 'meta_set', key: 'mark', value: this.parseSetValue(c, tb) };
        }
        break;
    }
    if (UNSUPPORTED_STMTS.has(w) || (w === 'ct' && ['count', 'helper', 'timeout', 'expectation', 'event'].includes(c.toks[c.pos + 1]?.v ?? '')) || (w === 'meta' && ['time', 'day', 'hour'].includes(c.toks[c.pos + 1]?.v ?? '')) || ((w === 'tcp' || w === 'ip') && c.toks[c.pos + 1]?.v === 'option')) {
      // skip the rest of the statement up to the next verdict/statement keyword we know
      const start = c.pos;
      next(c);
      while (peek(c).t !== 'eof' && !(peek(c).t === 'word' && (VERDICTS.has(peek(c).v) || ['jump', 'goto', 'counter', 'comment', 'log'].includes(peek(c).v)))) {
        if (peek(c).v === '{') skipBraces(c);
        else next(c);
      }
      return { k: 'unsupported', what: c.toks.slice(start, c.pos).map((x) => (x.t === 'str' ? `"${x.v}"` : x.v)).join(' ') };
    }
    // a match, `lhs set value`, or `lhs vmap {...}`
    const startTok = peek(c);
    const lhs = this.parseLhs(c, tb.family);
    const op = peek(c);
    if (op.t === 'word' && op.v === 'set') {
      next(c);
      const value = this.parseSetValue(c, tb);
      if (lhs.load.k === 'meta') return { k: 'meta_set', key: lhs.load.key, value };
      if (lhs.load.k === 'ct') return { k: 'ct_set', key: lhs.load.key, value };
      return { k: 'unsupported', what: `payload set (${startTok.v} ...)` };
    }
    if (op.t === 'word' && op.v === 'vmap') {
      next(c);
      return { k: 'vmap', left: lhs.load, map: this.parseSetRef(c, lhs, tb, true) };
    }
    return this.parseMatch(c, lhs, tb);
  }

  parseLhs(c: Cursor, family: TableFamily): Lhs {
    const parts: Lhs[] = [this.parsePrimaryLhs(c, family)];
    while (peek(c).t === 'punct' && peek(c).v === '.') {
      next(c);
      parts.push(this.parsePrimaryLhs(c, family));
    }
    let lhs = parts.length === 1 ? parts[0]! : concatLhs(parts);
    // binary ops: & | ^ (and or xor) with a constant
    for (;;) {
      const o = peek(c);
      const isOp = (o.t === 'punct' && (o.v === '&' || o.v === '|' || o.v === '^')) || (o.t === 'word' && (o.v === 'and' || o.v === 'or' || o.v === 'xor'));
      if (!isOp) break;
      next(c);
      const mask = this.parseBitValue(c, lhs);
      const op = o.v === 'and' ? '&' : o.v === 'or' ? '|' : o.v === 'xor' ? '^' : o.v;
      const full = lhs.bits >= 32 ? 0xffffffff : 2 ** lhs.bits - 1;
      const [m, x] = op === '&' ? [mask, 0] : op === '|' ? [(full & ~mask) >>> 0, mask] : [full, mask];
      lhs = { ...lhs, load: { k: 'bitwise', src: lhs.load, mask: m >>> 0, xor: x >>> 0 }, bitmask: false };
    }
    return lhs;
  }

  /** a constant for a bit operation: number or flag list (syn|ack, (syn|ack)) */
  private parseBitValue(c: Cursor, lhs: Lhs): number {
    let paren = false;
    if (peek(c).v === '(') { next(c); paren = true; }
    let v = 0;
    for (;;) {
      const t = next(c);
      const x = parseConst(lhs, t.v);
      if (typeof x !== 'number') throw err(t, `Could not parse ${lhs.types[0]} value '${t.v}'`);
      v |= x;
      if (peek(c).v === '|' || peek(c).v === ',') { next(c); continue; }
      break;
    }
    if (paren) expectP(c, ')');
    return v >>> 0;
  }

  private parsePrimaryLhs(c: Cursor, family: TableFamily): Lhs {
    const t = next(c);
    if (t.t !== 'word') throw err(t, `syntax error, unexpected ${show(t)}`);
    const w = t.v;
    if (w === 'meta') {
      const k = expect(c, 'word');
      const l = metaLhs(k.v);
      if (!l) throw err(k, `unknown meta key '${k.v}'`);
      return l;
    }
    const bare = metaLhs(w);
    if (bare && !(w in { mark: 1 } && false)) return bare;
    if (w === 'ct') {
      let dir: 'original' | 'reply' | undefined;
      let k = expect(c, 'word');
      if (k.v === 'original' || k.v === 'reply') { dir = k.v; k = expect(c, 'word'); }
      if (k.v === 'ip' || k.v === 'ip6') k = expect(c, 'word'); // ct original ip saddr
      const l = ctLhs(k.v, dir, family);
      if (!l) throw err(k, `unknown ct key '${k.v}'`);
      return l;
    }
    if (w === 'fib') {
      const flags: string[] = [];
      for (;;) {
        const f = expect(c, 'word');
        const nx = peek(c).v;
        const flagOif = f.v === 'oif' && (nx === '.' || nx === 'type' || nx === 'oif' || nx === 'oifname');
        if (!flagOif && (f.v === 'type' || f.v === 'oif' || f.v === 'oifname')) {
          if (flags.length === 0) throw err(f, 'fib: missing saddr/daddr');
          const result = f.v;
          return { load: { k: 'fib', flags, result }, kind: result === 'oifname' || result === 'oif' ? 'str' : 'int', syms: result === 'type' ? (metaSyms('fib', 'type')) : undefined, bitmask: false, types: [result === 'type' ? 'fib_addrtype' : 'ifname'], lens: [4], bits: 32 };
        }
        flags.push(f.v);
        if (peek(c).v === '.') next(c);
      }
    }
    if (w in PAYLOAD_PROTOS) {
      let f = expect(c, 'word');
      let field = f.v;
      if (w === 'arp' && (field === 'saddr' || field === 'daddr')) {
        const sub = peek(c);
        if (sub.v === 'ip' || sub.v === 'ether') { next(c); field = `${field} ${sub.v}`; }
        else field = `${field} ip`;
      }
      const l = payloadLhs(w, field);
      if (!l) throw err(f, `syntax error, unexpected ${f.v} (unknown ${w} field)`);
      f = t;
      return l;
    }
    throw err(t, `syntax error, unexpected ${w}`);
  }

  private parseMatch(c: Cursor, lhs: Lhs, tb: IrTable): Expr {
    let op: string = 'implicit';
    const o = peek(c);
    const OPS: Record<string, string> = { '==': 'eq', eq: 'eq', '!=': 'neq', ne: 'neq', '<': 'lt', lt: 'lt', '>': 'gt', gt: 'gt', '<=': 'lte', le: 'lte', '>=': 'gte', ge: 'gte' };
    if ((o.t === 'punct' || o.t === 'word') && o.v in OPS) { next(c); op = OPS[o.v]!; }
    const r = peek(c);
    if (r.t === 'eof') throw err(r, 'syntax error, unexpected end of rule, expecting a value');
    if (r.t === 'punct' && r.v === '{' || r.t === 'word' && r.v.startsWith('@')) {
      if (op !== 'implicit' && op !== 'eq' && op !== 'neq') throw err(o, 'relational operator not valid with a set');
      return { k: 'lookup', left: lhs.load, neg: op === 'neq', set: this.parseSetRef(c, lhs, tb, false) };
    }
    // flag lists: ct state established,related / tcp flags syn / syn,ack
    if (lhs.bitmask && (op === 'implicit' || op === 'eq' || op === 'neq')) {
      const v = this.parseFlagList(c, lhs);
      if (peek(c).t === 'punct' && peek(c).v === '/') {
        next(c);
        const mask = this.parseFlagList(c, lhs);
        const left: Load = { k: 'bitwise', src: lhs.load, mask, xor: 0 };
        return { k: 'cmp', left, op: op === 'neq' ? 'neq' : 'eq', value: v };
      }
      if (op === 'implicit') return { k: 'cmp', left: { k: 'bitwise', src: lhs.load, mask: v, xor: 0 }, op: 'neq', value: 0 };
      return { k: 'cmp', left: lhs.load, op: op as 'eq' | 'neq', value: v };
    }
    if (lhs.load.k === 'fib' && (peek(c).v === 'missing' || peek(c).v === 'exists')) {
      // fib ... oif missing|exists: whether a route (through that device) was found
      const w = next(c).v;
      return { k: 'cmp', left: lhs.load, op: (w === 'missing') !== (op === 'neq') ? 'eq' : 'neq', value: '' };
    }
    if (lhs.kind === 'str' && !lhs.parts) {
      const s = next(c);
      if (s.t !== 'str' && s.t !== 'word') throw err(s, `syntax error, unexpected ${show(s)}`);
      if (s.v.endsWith('*') && !s.v.endsWith('\\*')) return { k: 'prefixcmp', left: lhs.load, neg: op === 'neq', value: s.v.slice(0, -1) };
      return { k: 'cmp', left: lhs.load, op: op === 'neq' ? 'neq' : 'eq', value: s.v };
    }
    // a bare comma list on a non-flag field is an anonymous set
    const save = c.pos;
    const [lo, hi] = lhs.parts ? this.parseConcatValue(c, lhs, tb) : this.parseValueRange(c, lhs, tb.family);
    if (peek(c).t === 'punct' && peek(c).v === ',') {
      c.pos = save;
      const set = this.anonSet(lhs);
      for (;;) {
        const el = this.parseElemKey(c, lhs, tb);
        set.elems.push(el.key[0] === el.key[1] ? { key: el.key[0] } : { key: el.key });
        if (el.key[0] !== el.key[1]) set.interval = true;
        if (peek(c).v !== ',') break;
        next(c);
      }
      return { k: 'lookup', left: lhs.load, neg: op === 'neq', set };
    }
    if (lo !== hi) {
      if (op !== 'implicit' && op !== 'eq' && op !== 'neq') throw err(r, 'relational operator not valid with a range');
      // a prefix on a wide value: nft emits bitwise + cmp; a range: the range expression
      return { k: 'range', left: lhs.load, neg: op === 'neq', lo, hi };
    }
    return { k: 'cmp', left: lhs.load, op: op === 'implicit' ? 'eq' : (op as 'eq'), value: lo };
  }

  private parseConcatValue(c: Cursor, lhs: Lhs, tb: IrTable): [Val, Val] {
    const el = this.parseElemKey(c, lhs, tb);
    if (el.parts) throw err(peek(c), 'ranges in a concatenation need a set');
    return el.key;
  }

  private parseFlagList(c: Cursor, lhs: Lhs): number {
    let v = 0;
    for (;;) {
      const t = next(c);
      const x = parseConst(lhs, t.v);
      if (typeof x !== 'number') throw err(t, `Could not parse ${lhs.types[0]} value '${t.v}'`);
      v |= x;
      if (peek(c).t === 'punct' && (peek(c).v === ',' || peek(c).v === '|')) { next(c); continue; }
      return v >>> 0;
    }
  }

  private anonSet(lhs: Lhs): SetDef {
    return { name: '', keyTypes: lhs.types, keyLens: lhs.lens, interval: false, elems: [] };
  }

  private parseSetRef(c: Cursor, lhs: Lhs, tb: IrTable, isMap: boolean): string | SetDef {
    const t = next(c);
    if (t.t === 'word' && t.v.startsWith('@')) {
      const name = t.v.slice(1);
      if (!tb.sets.has(name)) throw err(t, `Set '${name}' does not exist`);
      return name;
    }
    if (t.v !== '{') throw err(t, `syntax error, unexpected ${show(t)}`);
    const set = this.anonSet(lhs);
    this.parseElements(c, lhs, set, isMap, tb);
    // bitmask elements in an anonymous set are exact values
    return set;
  }

  private parseSetValue(c: Cursor, tb: IrTable): Load | Val {
    const t = peek(c);
    if (t.t === 'word' && (t.v === 'ct' || t.v === 'meta' || t.v === 'mark' || t.v in PAYLOAD_PROTOS)) {
      if (t.v === 'mark') { next(c); return { k: 'meta', key: 'mark' }; }
      return this.parseLhs(c, tb.family).load;
    }
    const v = next(c);
    if (/^0x[0-9a-fA-F]+$/.test(v.v)) return parseInt(v.v, 16);
    if (/^\d+$/.test(v.v)) return Number(v.v);
    if (v.v === 'notrack' || v.t === 'str') return v.v;
    throw err(v, `Could not parse value '${v.v}'`);
  }

  private parseLog(c: Cursor): Expr {
    next(c);
    const e: Expr = { k: 'log' };
    for (;;) {
      const t = peek(c);
      if (t.v === 'prefix') { next(c); e.prefix = next(c).v; }
      else if (t.v === 'level') { next(c); e.level = next(c).v; }
      else if (['group', 'snaplen', 'queue-threshold'].includes(t.v)) { next(c); next(c); }
      else if (t.v === 'flags') {
        next(c);
        while (peek(c).t === 'word' && ['tcp', 'ip', 'skuid', 'ether', 'all', 'sequence', 'options'].includes(peek(c).v)) { next(c); if (peek(c).v === ',') next(c); }
      } else return e;
    }
  }

  private parseLimit(c: Cursor): Expr {
    const start = next(c);
    if (peek(c).v === 'name') { next(c); next(c); return { k: 'unsupported', what: 'limit name' }; }
    if (next(c).v !== 'rate') throw err(start, "expecting 'rate'");
    let over = false;
    if (peek(c).v === 'over') { next(c); over = true; }
    else if (peek(c).v === 'until') next(c);
    // "10/second", "10 / second", "10 mbytes/second"
    let t = next(c);
    let rate: number, unit: string;
    let bytes = false;
    const m = /^(\d+)(?:\/(\w+))?$/.exec(t.v);
    if (!m) throw err(t, `invalid limit rate '${t.v}'`);
    rate = Number(m[1]);
    if (m[2]) unit = m[2];
    else {
      if (peek(c).t === 'word' && /^(k|m)?bytes(\/\w+)?$/.test(peek(c).v)) {
        t = next(c);
        bytes = true;
        const mult = t.v.startsWith('k') ? 1024 : t.v.startsWith('m') ? 1024 * 1024 : 1;
        rate *= mult;
        const s = t.v.split('/');
        if (s[1]) unit = s[1];
        else { expectP(c, '/'); unit = next(c).v; }
      } else {
        expectP(c, '/');
        unit = next(c).v;
      }
    }
    if (!['second', 'minute', 'hour', 'day', 'week'].includes(unit)) throw err(t, `invalid limit unit '${unit}'`);
    let burst = bytes ? 0 : 5;
    if (peek(c).v === 'burst') {
      next(c);
      burst = Number(next(c).v);
      if (peek(c).v === 'packets' || /bytes$/.test(peek(c).v)) next(c);
    }
    return { k: 'limit', rate, unit: unit as 'second', burst, bytes, over };
  }

  private parseReject(c: Cursor, family: TableFamily): Expr {
    next(c);
    if (peek(c).v !== 'with') {
      // plain reject: icmp port-unreachable (ip), icmpv6 port-unreachable (ip6), icmpx port-unreachable (inet, bridge)
      if (family === 'ip') return { k: 'reject', type: 'icmp', code: 3 };
      if (family === 'ip6') return { k: 'reject', type: 'icmpv6', code: 4 };
      return { k: 'reject', type: 'icmpx', code: 1 };
    }
    next(c);
    const kind = next(c);
    if (kind.v === 'tcp') {
      const r = next(c);
      if (r.v !== 'reset') throw err(r, "expecting 'reset'");
      return { k: 'reject', type: 'tcp-reset', code: 0 };
    }
    if (kind.v === 'icmp' || kind.v === 'icmpv6' || kind.v === 'icmpx') {
      if (peek(c).v === 'type') next(c);
      const ct = next(c);
      const table = kind.v === 'icmp' ? ICMP_CODE : kind.v === 'icmpv6' ? ICMPV6_CODE : ICMPX_CODE;
      const code = table[ct.v] ?? (/^\d+$/.test(ct.v) ? Number(ct.v) : undefined);
      if (code === undefined) throw err(ct, `invalid ${kind.v} code '${ct.v}'`);
      return { k: 'reject', type: kind.v, code };
    }
    throw err(kind, `syntax error, unexpected ${kind.v}`);
  }

  private parseNat(c: Cursor, family: TableFamily): Expr {
    const t = next(c);
    const e: Extract<Expr, { k: 'nat' }> = { k: 'nat', type: t.v as 'snat' };
    if (family === 'ip') e.family = 4;
    if (family === 'ip6') e.family = 6;
    if (peek(c).v === 'ip' || peek(c).v === 'ip6') e.family = next(c).v === 'ip' ? 4 : 6;
    if (peek(c).v === 'to') {
      next(c);
      const a = next(c);
      if (a.t !== 'word') throw err(a, 'expecting an address');
      // the map forms (dnat to ip saddr map {...}) are not modelled
      if (['ip', 'ip6', 'tcp', 'udp', 'th', 'meta', 'ct', 'numgen', 'jhash'].includes(a.v)) {
        while (peek(c).t !== 'eof' && !(peek(c).t === 'word' && VERDICTS.has(peek(c).v))) {
          if (peek(c).v === '{') skipBraces(c);
          else next(c);
        }
        return { k: 'unsupported', what: `${t.v} to ${a.v} ... (mapped nat)` };
      }
      this.parseNatTarget(a, e);
    }
    while (peek(c).t === 'word' && ['random', 'persistent', 'fully-random', 'prefix'].includes(peek(c).v)) {
      const f = next(c).v;
      if (f === 'random' || f === 'fully-random') e.random = true;
      if (f === 'persistent') e.persistent = true;
      if (peek(c).v === ',') next(c);
    }
    return e;
  }

  /** ADDR[-ADDR][:PORT[-PORT]], [v6]:port, :PORT[-PORT] */
  private parseNatTarget(a: Tok, e: Extract<Expr, { k: 'nat' }>): void {
    let s = a.v;
    let ports: string | undefined;
    if (s.startsWith('[')) {
      const end = s.indexOf(']');
      ports = s[end + 1] === ':' ? s.slice(end + 2) : undefined;
      s = s.slice(1, end);
    } else if (s.startsWith(':')) {
      ports = s.slice(1);
      s = '';
    } else if (!s.includes('::') && s.split(':').length === 2) {
      [s, ports] = s.split(':') as [string, string];
    }
    if (s) {
      const dash = s.indexOf('-');
      const [lo, hi] = dash > 0 ? [s.slice(0, dash), s.slice(dash + 1)] : [s, s];
      const plo = parseIPv4(lo) ?? parseIPv6(lo), phi = parseIPv4(hi) ?? parseIPv6(hi);
      if (plo === undefined || phi === undefined) throw err(a, `Could not parse address '${s}'`);
      e.addrLo = plo;
      e.addrHi = phi;
      if (typeof plo === 'string') e.family = 6;
    }
    if (ports !== undefined) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(ports);
      if (!m) throw err(a, `Could not parse port '${ports}'`);
      e.portLo = Number(m[1]);
      e.portHi = Number(m[2] ?? m[1]);
    }
  }
}

function metaSyms(proto: string, field: string): Record<string, number> | undefined {
  return proto === 'fib' && field === 'type' ? RTN : undefined;
}
const RTN: Record<string, number> = { unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8 };

const PAYLOAD_PROTOS: Record<string, 1> = { ether: 1, vlan: 1, arp: 1, ip: 1, ip6: 1, tcp: 1, udp: 1, udplite: 1, sctp: 1, dccp: 1, th: 1, icmp: 1, icmpv6: 1, esp: 1, ah: 1, gre: 1 };

/** position of the '-' separating a range in one word, or -1 (symbols like echo-request contain '-') */
function findRangeDash(text: string, lhs: Lhs): number {
  if (lhs.kind === 'ipv6') {
    const i = text.indexOf('-');
    return i > 0 && parseIPv6(text.slice(0, i)) !== undefined ? i : -1;
  }
  if (parseConst(lhs, text) !== undefined) return -1;
  for (let i = 1; i < text.length; i++) {
    if (text[i] !== '-') continue;
    if (parseConst(lhs, text.slice(0, i)) !== undefined && parseConst(lhs, text.slice(i + 1)) !== undefined) return i;
  }
  return -1;
}

// ---- cursor helpers ----

function peek(c: Cursor): Tok {
  return c.toks[c.pos]!;
}
function next(c: Cursor): Tok {
  const t = c.toks[c.pos]!;
  if (t.t !== 'eof') c.pos++;
  return t;
}
function expect(c: Cursor, ...kinds: Tok['t'][]): Tok {
  const t = next(c);
  if (!kinds.includes(t.t)) throw err(t, `syntax error, unexpected ${show(t)}, expecting ${kinds.join(' or ')}`);
  return t;
}
function expectP(c: Cursor, v: string): Tok {
  const t = next(c);
  if (t.v !== v || (t.t !== 'punct' && t.t !== 'word')) throw err(t, `syntax error, unexpected ${show(t)}, expecting '${v}'`);
  return t;
}
function skipBraces(c: Cursor): void {
  let depth = 0;
  do {
    const t = next(c);
    if (t.v === '{') depth++;
    else if (t.v === '}') depth--;
    if (t.t === 'eof') return;
  } while (depth > 0);
}
/** tokens of one statement: up to newline or ';' outside braces */
function collect(c: Cursor): Tok[] {
  const out: Tok[] = [];
  let depth = 0;
  for (;;) {
    const t = peek(c);
    if (t.t === 'eof') break;
    if (depth === 0 && (t.t === 'nl' || (t.t === 'punct' && (t.v === ';' || t.v === '}')))) break;
    next(c);
    if (t.t === 'punct' && t.v === '{') depth++;
    if (t.t === 'punct' && t.v === '}') depth--;
    if (t.t === 'nl') continue;
    out.push(t);
  }
  return out;
}
function eofTok(stmt: Tok[]): Tok {
  const l = stmt[stmt.length - 1];
  return { t: 'eof', v: '', line: l?.line ?? 0, col: (l?.col ?? 0) + (l?.v.length ?? 0), file: l?.file ?? '' };
}
function show(t: Tok): string {
  if (t.t === 'eof') return 'end of file';
  if (t.t === 'nl') return 'newline';
  if (t.t === 'str') return `string "${t.v}"`;
  return t.v;
}
function err(t: Tok, msg: string): RulesetError {
  return new RulesetError(t.file, t.line, t.col, msg);
}

export { TCP_FLAGS };
