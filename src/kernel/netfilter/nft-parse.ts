// nft rule-set text -> IR. Reads `nft list ruleset` output (with or without -a handles) and
// hand-written /etc/nftables.conf files: define/$var, include, table/chain/set/map blocks,
// `add table|chain|rule|set|element` commands, anonymous sets, intervals, concatenations,
// verdict maps. Errors name file:line:col as nft does. Expressions the model does not evaluate
// become {k:'unsupported'} with the rule's source, never a silent match or miss.

import { tokenize, type Tok } from './nft-lexer.js';
import { IPS_CONFIRMED } from './nf_conntrack.js';
import {
  CT_KEYS, ICMPX_CODE, ICMPV6_CODE, ICMP_CODE, L4PROTO, RulesetError, TCP_FLAGS, namedPriority, newTable, parseIPv4, parseIPv6, prefixRange,
  type BaseChainDef, type Expr, type FlowtableDef, type IrChain, type IrRule, type IrRuleset, type IrTable, type Load, type SetDef, type SetElem,
  type TableFamily, type Val, type VerdictExpr,
} from './ir.js';
import { IPV6_EXTHDR, TCP_OPTIONS, indexedAddr } from './nft-exthdr.js';
import { validateFibHooks } from './nft-validate.js';
import { CT_DIR_KEYS, CT_EVENTS, DAYS, EAI_ADDRFAMILY, ProtoCtx, checkIntRange, checkString, parseHour, validDate, wrongFamilyAddr, type At } from './nft-eval.js';
import { concatKey, concatLhs, ctLhs, metaLhs, opaqueLhs, parseConst, parseTimeMs, payloadLhs, typeLhs, type Lhs } from './nft-values.js';

const OBJECT_KINDS = new Set(['counter', 'quota', 'limit', 'ct', 'synproxy', 'secmark', 'flowtable', 'tunnel']);
const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const VERDICTS = new Set(['accept', 'drop', 'continue', 'return', 'queue']);
/** statements the model parses but does not evaluate (a rule reaching one is unsupported) */
const UNSUPPORTED_STMTS = new Set(['dup', 'fwd', 'synproxy', 'tproxy', 'flow', 'tunnel', 'xt', 'last', 'secmark', 'cgroupv2']);
/** loads the model parses but does not evaluate: keyword -> how many field words follow */
const OPAQUE_LOADS = new Set(['rt', 'rt0', 'rt2', 'srh', 'hbh', 'dst', 'mh', 'frag', 'exthdr', 'osf', 'socket', 'ipsec']);
const OPAQUE_STOP = new Set(['exists', 'missing', 'set', 'map', 'vmap', 'and', 'or', 'xor', 'accept', 'drop', 'continue', 'return', 'jump', 'goto', 'queue', 'counter', 'log', 'limit', 'comment', 'meta', 'ct', 'ip', 'ip6', 'tcp', 'udp']);

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
  // the kernel's commit-time validation of each table read here (nft_table_validate)
  for (const tb of rs.tables) if (tb.origin === 'nft') validateFibHooks(tb, (r) => p.anchors.get(r), p.refuse);
  return rs;
}

/**
 * The text reader's rule parser for another input (nft -j): statements written in nft's text
 * syntax are read against the tables, sets and objects of `rs`, with every check of the text.
 */
export interface NftRuleReader {
  /** a named object (counter, quota, limit, ct helper ...) the rules may reference */
  object(tb: IrTable, kind: string, name: string, helper?: CtHelperObj): void;
  /** one rule's statements; errors are RulesetErrors positioned in `text` */
  rule(tb: IrTable, ch: IrChain, text: string, file: string): IrRule;
  /** a set or map: `NAME { type ...; flags ...; elements = { ... } }` */
  set(tb: IrTable, text: string, file: string, isMap: boolean): void;
}

export function nftRuleReader(rs: IrRuleset): NftRuleReader {
  const p = new NftParser(rs, {});
  return {
    object: (tb, kind, name, helper) => p.addObject(tb, kind, name, helper),
    rule: (tb, ch, text, file) => p.readRule(tb, ch, text, file),
    set: (tb, text, file, isMap) => p.readSet(tb, text, file, isMap),
  };
}

class NftParser {
  private defines = new Map<string, Tok[]>();
  /** named stateful objects per table ("counter cnt1"), for references from rules */
  private objects = new Map<IrTable, Set<string>>();
  /** `ct helper NAME { type "ftp" protocol tcp; l3proto ip; }` bodies, for `ct helper set "NAME"` */
  private ctHelpers = new Map<IrTable, Map<string, CtHelperObj>>();
  private bindings = 0;
  private lines = new Map<string, string[]>();
  /** the protocol context of the rule being read (nft's proto_ctx); undefined outside rules */
  private pctx: ProtoCtx | undefined;
  readonly refuse = (at: At, problem: string): never => { throw new RulesetError(at.file, at.line, at.col, problem); };
  /** where the kernel's refusal of a rule points (nft: the rule, or its `add rule` command) */
  readonly anchors = new WeakMap<IrRule, At>();

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
      // `nft -a list ruleset` prints `table inet t { # handle 9`: the table's handle, not a rule's
      if (t.t === 'nl' || t.t === 'handle' || (t.t === 'punct' && t.v === ';')) continue;
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
          // stateful objects (counter, quota, limit, ct helper/timeout/expectation, synproxy, secmark, flowtable)
          const toks = collect(c);
          if (!OBJECT_KINDS.has(t.v)) throw err(t, `syntax error, unexpected ${t.v}`);
          if (t.v === 'flowtable') this.parseFlowtable(tb, t, toks);
          this.registerObject(tb, t, toks);
        }
      }
    }
  }

  /** `flowtable NAME { hook ingress priority P; devices = { a, b }; [flags offload;] [counter] }` */
  private parseFlowtable(tb: IrTable, kw: Tok, toks: Tok[]): void {
    const n = toks[0];
    if (!n || (n.t !== 'word' && n.t !== 'str')) throw err(kw, 'syntax error, flowtable needs a name');
    const ft: FlowtableDef = { name: n.v, hook: 'ingress', priority: 0, devices: [], flags: [], src: { file: n.file, line: n.line, text: `flowtable ${n.v}` } };
    const c: Cursor = { toks: [...toks.slice(1), eofTok(toks)], pos: 0 };
    if (peek(c).v === '{') next(c);
    for (;;) {
      const t = next(c);
      if (t.t === 'eof' || (t.t === 'punct' && t.v === '}')) break;
      if (t.t === 'punct' && t.v === ';') continue;
      if (t.v === 'hook') {
        const h = expect(c, 'word');
        if (h.v !== 'ingress') throw err(h, `flowtable hook must be ingress, not '${h.v}'`);
        ft.hook = h.v;
        if (peek(c).v === 'priority') { const pt = next(c); ft.priority = this.parsePriority(c, tb.family, pt); }
      } else if (t.v === 'devices') {
        expectP(c, '=');
        if (peek(c).v === '{') {
          next(c);
          while (peek(c).v !== '}' && peek(c).t !== 'eof') {
            const d = next(c);
            if (d.t === 'word' || d.t === 'str') ft.devices.push(d.v);
          }
          next(c);
        } else ft.devices.push(expect(c, 'word', 'str').v);
      } else if (t.v === 'flags') {
        ft.flags.push(expect(c, 'word').v);
        while (peek(c).v === ',') { next(c); ft.flags.push(expect(c, 'word').v); }
      } else if (t.v === 'counter') ft.flags.push('counter');
      else throw err(t, `syntax error, unexpected ${show(t)} in flowtable ${n.v}`);
    }
    (tb.flowtables ??= new Map()).set(ft.name, ft);
  }

  /** `counter NAME {...}`, `ct helper NAME {...}`: kept by name for rules that reference it */
  addObject(tb: IrTable, kind: string, name: string, helper?: CtHelperObj): void {
    let objs = this.objects.get(tb);
    if (!objs) this.objects.set(tb, (objs = new Set()));
    objs.add(`${kind} ${name}`);
    if (kind === 'ct helper') objs.add(`ct helper "${name}"`);
    if (helper) this.addCtHelper(tb, name, helper);
  }

  private addCtHelper(tb: IrTable, name: string, h: CtHelperObj): void {
    let m = this.ctHelpers.get(tb);
    if (!m) this.ctHelpers.set(tb, (m = new Map()));
    m.set(name, h);
  }

  readSet(tb: IrTable, text: string, file: string, isMap: boolean): void {
    this.lines.set(file, [text]);
    const c: Cursor = { toks: tokenize(text, file), pos: 0 };
    this.parseSetBody(c, tb, expect(c, 'word', 'str'), isMap);
  }

  readRule(tb: IrTable, ch: IrChain, text: string, file: string): IrRule {
    this.lines.set(file, [text]);
    // line ends matter only inside braces (a chain binding's rules)
    let depth = 0;
    const toks = tokenize(text, file).filter((t) => {
      if (t.t === 'punct' && t.v === '{') depth++;
      if (t.t === 'punct' && t.v === '}') depth--;
      return t.t !== 'eof' && (t.t !== 'nl' || depth > 0);
    });
    if (toks.length === 0) return { handle: ch.rules.length + 1, exprs: [], src: { file, line: 1, text } };
    return this.parseRule(toks, tb, ch, file);
  }

  private registerObject(tb: IrTable, kind: Tok, toks: Tok[]): void {
    let k = kind.v;
    let i = 0;
    if (k === 'ct') { k = `ct ${toks[0]?.v ?? ''}`; i = 1; }
    const n = toks[i];
    if (!n || (n.t !== 'word' && n.t !== 'str')) throw err(n ?? kind, `syntax error, ${k} needs a name`);
    let objs = this.objects.get(tb);
    if (!objs) this.objects.set(tb, (objs = new Set()));
    objs.add(`${k} ${n.v}`);
    if (k === 'ct helper') {
      objs.add(`ct helper "${n.v}"`);
      const body = toks.slice(i + 1);
      const at = (w: string) => body[body.findIndex((x) => x.v === w) + 1]?.v;
      const type = at('type'), l4 = at('protocol');
      if (type !== undefined && (l4 === 'tcp' || l4 === 'udp')) this.addCtHelper(tb, n.v, { type, l4: l4 === 'tcp' ? 6 : 17, l3: at('l3proto') ?? tb.family });
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
      const stmt = this.expand(collect(c, true));
      // `chain c { # handle 1` (nft -a): the chain's handle alone on the line, no rule
      if (stmt.every((x) => x.t === 'handle')) continue;
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
    if ((op.t === 'punct' || op.t === 'word') && (op.v === '-' || op.v === '+')) {
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
      } else if (w === 'size' && stmt[1] && /^\d+$/.test(stmt[1].v)) {
        set.size = Number(stmt[1].v);
      } else if (w === 'timeout' && stmt[1]) {
        const ms = parseTimeMs(stmt[1].v);
        if (ms === undefined) throw err(stmt[1], `Could not parse time '${stmt[1].v}'`);
        set.timeout = ms;
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
  private parseElements(c: Cursor, lhs: Lhs, set: SetDef, isMap: boolean, tb: IrTable, dataLhs?: Lhs): void {
    const dt = set.dataType?.replace(/^interval\s+/, '');
    const dl = dataLhs ?? (dt && dt !== 'verdict' ? typeLhs(dt.split(/\s*\.\s*/)) : undefined);
    for (;;) {
      while (peek(c).t === 'nl' || peek(c).v === ',') next(c);
      const t = peek(c);
      if (t.t === 'punct' && t.v === '}') { next(c); return; }
      if (t.t === 'eof') throw err(t, "syntax error, expecting '}'");
      if (t.t === 'punct' && t.v === '{') {
        // a set inside a set: its elements are merged (nft flattens it)
        next(c);
        this.parseElements(c, lhs, set, isMap, tb, dataLhs);
        continue;
      }
      // "25:accept" / "...aaaa:::accept": the key and the verdict glued by the lexer
      const glued = t.t === 'word' ? /^(.+):(accept|drop|continue|return|jump|goto|queue)$/.exec(t.v) : null;
      if (glued && isMap) {
        c.toks.splice(c.pos, 1, { ...t, v: glued[1]! }, { ...t, t: 'punct', v: ':' }, { ...t, v: glued[2]! });
      } else if (isMap && t.t === 'word' && t.v.endsWith(':') && t.v.length > 1 && parseConst(lhs, t.v.slice(0, -1)) !== undefined) {
        // "::dddd:" before "drop": an IPv6 key with the colon glued
        const nx = c.toks[c.pos + 1];
        if (nx && nx.t === 'word' && (VERDICTS.has(nx.v) || nx.v === 'jump' || nx.v === 'goto')) c.toks.splice(c.pos, 1, { ...t, v: t.v.slice(0, -1) }, { ...t, t: 'punct', v: ':' });
      }
      if (t.t === 'word' && t.v === '*') {
        next(c);
        set.elems.push({ key: '', catchall: true });
      } else {
        const el = this.parseElemKey(c, lhs, tb);
        if (el.key[0] === el.key[1] && !el.parts) set.elems.push({ key: el.key[0] });
        else {
          set.interval = true;
          set.elems.push(el.parts ? { key: el.key, parts: el.parts } : { key: el.key });
        }
      }
      this.skipElemOptions(c);
      if (peek(c).v === ':') {
        next(c);
        if (!isMap) throw err(peek(c), 'element data in a set (not a map)');
        const last = set.elems[set.elems.length - 1]!;
        const d = peek(c);
        if (d.t === 'word' && (VERDICTS.has(d.v) || d.v === 'jump' || d.v === 'goto')) last.data = this.parseVerdict(c);
        else if (dl) {
          const el = this.parseElemKey(c, dl, tb);
          // ranges and prefixes as data (nat maps) are kept as their text: the model does not map to ranges
          last.data = el.key[0] === el.key[1] && !el.parts ? el.key[0] : `${d.v}...`;
        } else {
          const dt = next(c);
          if (dt.t !== 'word' && dt.t !== 'str') throw err(dt, `syntax error, unexpected ${show(dt)}`);
          const dv = parseIPv4(dt.v) ?? (/^\d+$/.test(dt.v) ? Number(dt.v) : /^0x[0-9a-f]+$/i.test(dt.v) ? parseInt(dt.v, 16) : parseIPv6(dt.v) ?? dt.v);
          last.data = dv;
          while (peek(c).v === '.') { next(c); next(c); last.data = `${String(dv)}...`; }
        }
        this.skipElemOptions(c);
      }
    }
  }

  /** element options and statements: timeout, expires, comment, counter ..., limit rate ..., quota ... */
  private skipElemOptions(c: Cursor): void {
    const OPTS = new Set(['timeout', 'expires', 'comment', 'counter', 'packets', 'bytes', 'limit', 'quota', 'ct', 'last']);
    if (!(peek(c).t === 'word' && OPTS.has(peek(c).v))) return;
    while (peek(c).t !== 'eof' && !(peek(c).t === 'punct' && (peek(c).v === ',' || peek(c).v === '}' || peek(c).v === ':')) && peek(c).t !== 'nl') next(c);
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
    const t = peek(c);
    const r = this.parseValueRange0(c, lhs, family);
    // the checks of nft's constant evaluation: the field's width, ranges low to high
    if ((lhs.kind === 'ipv4' || lhs.kind === 'ipv6') && this.pctx && t.t === 'word' && wrongFamilyAddr(lhs.kind, t.v.split('-')[0]!)) throw err(t, EAI_ADDRFAMILY);
    const bits = lhs.opaque ? lhs.checkBits ?? 0 : lhs.kind === 'int' && !lhs.raw ? lhs.bits : 0;
    if (lhs.load.k === 'ct' && lhs.load.key === 'label') {
      for (const v of r) if (typeof v === 'number' && v > 127) throw err(t, `${v}: bit ${v} out of range (128 max)`);
    } else if (bits) for (const v of r) if (typeof v === 'number') checkIntRange(v, bits, lhs.types, t, this.refuse);
    if (typeof r[0] === typeof r[1] && r[0] > r[1]) throw err(t, 'Range has zero or negative size');
    return r;
  }

  private parseValueRange0(c: Cursor, lhs: Lhs, family: TableFamily): [Val, Val] {
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
    let v = parseConst(lhs, text);
    if (v === undefined) throw err(t, `Could not parse ${lhs.types.join(' . ')} value '${text}'`);
    // flag values combined with '|': syn | ack
    while (lhs.bitmask && typeof v === 'number' && peek(c).t === 'punct' && peek(c).v === '|') {
      next(c);
      const f = next(c);
      const fv = parseConst(lhs, f.v);
      if (typeof fv !== 'number') throw err(f, `Could not parse ${lhs.types[0]} value '${f.v}'`);
      v = (v | fv) >>> 0;
    }
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
      this.anchors.set(rule, verb);
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
    if (OBJECT_KINDS.has(what.v)) {
      const kind = what.v === 'ct' ? { ...what, v: 'ct' } : what;
      const toks = collect(c);
      // [ct KIND] [family] table name {...}
      let i = 0;
      const sub = what.v === 'ct' ? toks[i++] : undefined;
      let family: TableFamily = 'ip';
      if (FAMILIES.has(toks[i]?.v ?? '') && toks[i + 2] && toks[i + 2]!.v !== '{') family = toks[i++]!.v as TableFamily;
      const tname = toks[i++];
      if (!tname) throw err(what, 'syntax error, expecting a table name');
      const tb = this.findTable(family, tname.v, tname);
      if (what.v === 'flowtable') this.parseFlowtable(tb, what, toks.slice(i));
      this.registerObject(tb, kind, sub ? [sub, ...toks.slice(i)] : toks.slice(i));
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
    this.anchors.set(rule, first);
    const c: Cursor = { toks: [...toks, eofTok(stmt)], pos: 0 };
    const outer = this.pctx;
    const pctx = this.pctx = new ProtoCtx(tb.family);
    try {
      while (peek(c).t !== 'eof') {
        const at = peek(c);
        // rule_evaluate: nothing may follow a terminal statement (a comment is no statement)
        if (pctx.terminal && at.v !== 'comment') throw err(at, 'Statement after terminal statement has no effect');
        const e = this.parseStmt(c, tb, rule);
        if (e) rule.exprs.push(e);
        if (e && isTerminal(e, at.v)) pctx.terminal = at;
      }
    } finally {
      this.pctx = outer;
    }
    void file;
    return rule;
  }

  private parseStmt(c: Cursor, tb: IrTable, rule: IrRule): Expr | null {
    const t = peek(c);
    if (t.t !== 'word') throw err(t, `syntax error, unexpected ${show(t)}`);
    const w = t.v;
    if ((w === 'jump' || w === 'goto') && c.toks[c.pos + 1]?.v === '{') return this.parseChainBinding(c, tb, rule);
    if (w === 'queue') return this.parseQueue(c, tb, rule);
    if (VERDICTS.has(w) || w === 'jump' || w === 'goto') return this.parseVerdict(c);
    switch (w) {
      case 'counter': {
        next(c);
        if (peek(c).v === 'name') {
          next(c);
          // counter name "x" | counter name EXPR map { ... : "x" }: a named counter, no effect on the verdict
          if (peek(c).t === 'str' || (peek(c).t === 'word' && !this.startsLoad(peek(c)))) this.objectRef(next(c), tb, 'counter');
          else this.skipObjectExpr(c, tb);
        }
        while (peek(c).v === 'packets' || peek(c).v === 'bytes') { next(c); next(c); }
        return { k: 'counter' };
      }
      case 'quota': return this.parseQuota(c, tb);
      case 'meter': return this.parseMeter(c, tb);
      case 'add': case 'update': case 'delete':
        if (c.toks[c.pos + 1]?.v.startsWith('@')) return this.parseDynset(c, tb);
        break;
      case 'comment': next(c); rule.comment = expect(c, 'str', 'word').v; return null;
      case 'notrack': next(c); return { k: 'notrack' };
      case 'log': return this.parseLog(c);
      case 'limit': return this.parseLimit(c, tb);
      case 'reject': return this.parseReject(c, tb.family);
      case 'snat': case 'dnat': case 'masquerade': case 'redirect': return this.parseNat(c, tb.family);
      case 'fwd': case 'dup': {
        // netdev `fwd to DEV` / `dup to DEV` with a constant device; the neighbour forms (`fwd ip to
        // ADDR device DEV`), device maps and the ip/ip6 families' dup stay unsupported
        const d = c.toks[c.pos + 2], after = c.toks[c.pos + 3];
        if (tb.family === 'netdev' && c.toks[c.pos + 1]?.v === 'to' && d && (d.t === 'str' || (d.t === 'word' && !this.startsLoad(d) && /^[^\s$@{]+$/.test(d.v)))
          && (!after || after.t === 'eof' || !['map', 'device', '.', 'vmap'].includes(after.v))) {
          c.pos += 3;
          return { k: 'fwd', dev: d.v, dup: w === 'dup' };
        }
        // fwd ip|ip6 to ADDR device DEV (nft_fwd_neigh_eval), constant address and device
        const f = c.toks[c.pos + 1]?.v, a = c.toks[c.pos + 3], dv = c.toks[c.pos + 5];
        if (tb.family === 'netdev' && w === 'fwd' && (f === 'ip' || f === 'ip6') && c.toks[c.pos + 2]?.v === 'to' && a?.t === 'word'
          && (f === 'ip' ? parseIPv4(a.v) !== undefined : parseIPv6(a.v) !== undefined) && c.toks[c.pos + 4]?.v === 'device' && dv && (dv.t === 'str' || (dv.t === 'word' && !this.startsLoad(dv)))) {
          c.pos += 6;
          return { k: 'fwd', dev: dv.v, dup: false, neigh: { family: f === 'ip' ? 4 : 6, addr: a.v } };
        }
        break;
      }
      case 'flow': {
        // `flow add @ft` / `flow offload @ft` (nft_flow_offload); the flowtable must exist (nft_flowtable_lookup)
        const op = c.toks[c.pos + 1], ref = c.toks[c.pos + 2];
        if ((op?.v === 'add' || op?.v === 'offload') && ref?.t === 'word' && ref.v.startsWith('@')) {
          c.pos += 3;
          const name = ref.v.slice(1);
          if (!tb.flowtables?.has(name)) throw err(ref, `Could not process rule: No such file or directory (flowtable '${name}' does not exist in table ${tb.family} ${tb.name})`);
          return { k: 'flow_offload', flowtable: name };
        }
        break;
      }
      case 'mark': // `mark set X` (short for meta mark set)
        if (c.toks[c.pos + 1]?.v === 'set') {
          next(c); next(c);
          return { k: 'meta_set', key: 'mark', value: this.parseValueExpr(c, tb, metaLhs('mark')!) };
        }
        break;
    }
    if (w === 'ct' && c.toks[c.pos + 1]?.v === 'event' && c.toks[c.pos + 2]?.v === 'set') this.checkCtEvents(c);
    if (w === 'tproxy') return this.parseTproxy(c);
    if (w === 'xt' && (c.toks[c.pos + 1]?.v === 'match' || c.toks[c.pos + 1]?.v === 'target') && c.toks[c.pos + 2]) {
      // xt match|target NAME: an xtables extension iptables-nft loaded; nft shows no parameters
      const [, kind, name] = [next(c), next(c), next(c)];
      return { k: 'unsupported', what: `xt ${kind!.v} ${name!.v}` };
    }
    if (w === 'ct' && c.toks[c.pos + 1]?.v === 'helper' && c.toks[c.pos + 2]?.v === 'set' && c.toks[c.pos + 4]?.v !== 'map') {
      const h = this.ctHelpers.get(tb)?.get(c.toks[c.pos + 3]?.v ?? '');
      if (h) {
        const name = c.toks[c.pos + 3]!.v;
        c.pos += 4;
        return ctHelperSet(name, h);
      }
    }
    if (UNSUPPORTED_STMTS.has(w) || (w === 'ct' && ['count', 'helper', 'timeout', 'expectation', 'event'].includes(c.toks[c.pos + 1]?.v ?? '') && (c.toks[c.pos + 1]?.v === 'count' || c.toks[c.pos + 2]?.v === 'set'))) {
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
      const value = this.parseValueExpr(c, tb, lhs);
      if (lhs.load.k === 'meta') return { k: 'meta_set', key: lhs.load.key, value };
      if (lhs.load.k === 'ct') return { k: 'ct_set', key: lhs.load.key, value };
      return { k: 'unsupported', what: `${lhs.load.k === 'payload' ? 'payload' : lhs.load.k} set (${startTok.v} ...)` };
    }
    if (op.t === 'word' && op.v === 'vmap') {
      next(c);
      const map = this.parseSetRef(c, lhs, tb, true);
      if (typeof map !== 'string') checkNoOverlap(map, op);
      return { k: 'vmap', left: lhs.load, map };
    }
    if (op.t === 'word' && op.v === 'map') {
      // `EXPR map {...} == value`: compare a mapped value
      next(c);
      const m = this.parseSetRef(c, lhs, tb, true);
      const dl = this.mapDataLhs(m, tb);
      if (lhs.ctAddrNoL3) throw err(startTok, 'specify either ip or ip6 for address matching');
      return this.parseMatch(c, { ...dl, load: { k: 'map', src: lhs.load, map: m } }, tb);
    }
    const e = this.parseMatch(c, lhs, tb);
    this.pctx?.learn(e);
    return e;
  }

  /** ct event set new,related,...: the ct_event bits (the statement itself is not modelled) */
  private checkCtEvents(c: Cursor): void {
    let i = c.pos + 3;
    for (;;) {
      const t = c.toks[i]!;
      if (t.t === 'punct') throw err(t, `syntax error, unexpected '${t.v}'`);
      if (!CT_EVENTS.has(t.v) && !/^(0x[0-9a-f]+|\d+)$/i.test(t.v)) throw err(t, 'Could not parse conntrack event bits');
      const sep = c.toks[i + 1];
      if (!sep || !(sep.v === ',' || sep.v === '|' || sep.v === 'or')) return;
      i += 2;
    }
  }

  /** tproxy [ip|ip6] to [ADDR][:PORT] (stmt_evaluate_tproxy's checks; the statement is not modelled) */
  private parseTproxy(c: Cursor): Expr {
    const t = next(c);
    const pctx = this.pctx!;
    let fam: 'ip' | 'ip6' | undefined;
    if (peek(c).v === 'ip' || peek(c).v === 'ip6') fam = next(c).v as 'ip';
    const to = peek(c);
    if (to.v !== 'to') throw err(to, `syntax error, unexpected ${show(to)}, expecting to or ip or ip6`);
    next(c);
    const a = next(c);
    if (a.t === 'punct' && a.v === ':') a.v = `:${next(c).v}`;
    if (pctx.l4 === undefined) throw err(t, 'Transparent proxy support requires transport protocol match');
    if (fam && pctx.network && pctx.network !== fam) throw err(t, `conflicting protocols specified: ${pctx.network} vs. ${fam}. You must specify ip or ip6 family in tproxy statement`);
    let addr = a.v;
    if (addr.startsWith('[')) addr = addr.slice(1, addr.indexOf(']'));
    else if (addr.startsWith(':')) addr = '';
    else if (!addr.includes('::') && addr.split(':').length === 2) addr = addr.split(':')[0]!;
    if (addr) {
      const f = fam ?? (pctx.family === 'inet' ? undefined : pctx.network);
      if (!f) throw err(t, 'ip or ip6 must be specified with address for inet tables.');
      if (wrongFamilyAddr(f === 'ip' ? 'ipv4' : 'ipv6', addr)) throw err(a, EAI_ADDRFAMILY);
    }
    return { k: 'unsupported', what: `tproxy ${fam ? `${fam} ` : ''}to ${a.v}` };
  }

  private startsLoad(t: Tok): boolean {
    return t.t === 'word' && (t.v === 'meta' || t.v === 'ct' || t.v in PAYLOAD_PROTOS || metaLhs(t.v) !== undefined || t.v === 'numgen' || t.v === 'jhash' || t.v === 'symhash' || OPAQUE_LOADS.has(t.v) || t.v.startsWith('@'));
  }

  /** a named object reference: must exist in the table, as nft checks when adding the rule */
  private objectRef(t: Tok, tb: IrTable, kind: string): void {
    const objs = this.objects.get(tb);
    if (!objs?.has(`${kind} ${t.v}`)) throw err(t, `Could not process rule: No such file or directory (${kind} '${t.v}' does not exist)`);
  }

  /** `name EXPR map { k : "obj" }` after counter/quota/limit name: parsed, object names not checked */
  private skipObjectExpr(c: Cursor, tb: IrTable): void {
    const lhs = this.parseLhs(c, tb.family);
    if (peek(c).v !== 'map') throw err(peek(c), "syntax error, expecting 'map'");
    next(c);
    this.parseSetRef(c, lhs, tb, true);
  }

  /** the Lhs describing a map's data (for constants compared to / set from it) */
  private mapDataLhs(m: string | SetDef, tb: IrTable): Lhs {
    const set = typeof m === 'string' ? tb.sets.get(m) : m;
    const dt = set?.dataType;
    if (!dt || dt === 'verdict') return opaqueLhs('map data');
    return typeLhs(dt.replace(/^interval\s+/, '').split(/\s*\.\s*/));
  }

  /**
   * The right side of `X set VALUE` / `queue to VALUE`: a constant of the target's type, or a load
   * with binary operations and an optional map (`ip saddr map { ... }`). Constant-only operations
   * fold (`0x11 xor 0x1331` is 0x1320, as nft lists it).
   */
  private parseValueExpr(c: Cursor, tb: IrTable, target: Lhs): Load | Val {
    const t = peek(c);
    let paren = false;
    if (t.t === 'punct' && t.v === '(') {
      // a parenthesised load: (meta mark | 0x10) << 8
      const save = c.pos;
      next(c);
      if (this.startsLoad(peek(c))) paren = true;
      else c.pos = save;
    }
    if (paren || this.startsLoad(peek(c)) || (peek(c).t === 'punct' && peek(c).v === '(' && this.startsLoad(c.toks[c.pos + 1]!))) {
      let lhs = this.parseLhs(c, tb.family);
      if (paren) { expectP(c, ')'); lhs = this.parseBinops(c, lhs); }
      if (peek(c).v === 'map') {
        if (lhs.ctAddrNoL3) throw err(t, 'specify either ip or ip6 for address matching');
        next(c);
        const m = this.parseSetRef(c, lhs, tb, true);
        return { k: 'map', src: lhs.load, map: m };
      }
      return lhs.load;
    }
    const v = next(c);
    if (v.t === 'str') return v.v;
    let val: Val | undefined = parseConst(target, v.v);
    if (val === undefined && /^0x[0-9a-fA-F]+$/.test(v.v)) val = parseInt(v.v, 16);
    if (val === undefined && /^\d+$/.test(v.v)) val = Number(v.v);
    if (val === undefined && v.v === 'notrack') return v.v;
    if (val === undefined) throw err(v, `Could not parse ${target.types.join(' . ')} value '${v.v}'`);
    if (typeof val === 'number' && target.kind === 'int') checkIntRange(val, target.opaque ? target.checkBits ?? 0 : target.bits, target.types, v, this.refuse);
    // constant folding: VAL op VAL ...
    while (typeof val === 'number') {
      const o = peek(c);
      const op = o.v === 'and' ? '&' : o.v === 'or' ? '|' : o.v === 'xor' ? '^' : o.t === 'punct' ? o.v : '';
      if (!['&', '|', '^', '<<', '>>'].includes(op)) break;
      next(c);
      const r = next(c);
      const rv = /^0x[0-9a-fA-F]+$/.test(r.v) ? parseInt(r.v, 16) : /^\d+$/.test(r.v) ? Number(r.v) : parseConst(target, r.v);
      if (typeof rv !== 'number') throw err(r, `Could not parse value '${r.v}'`);
      val = (op === '&' ? val & rv : op === '|' ? val | rv : op === '^' ? val ^ rv : op === '<<' ? val << rv : val >>> rv) >>> 0;
    }
    return val;
  }

  /** queue [flags bypass,fanout] [num N[-M] | to VALUE]: the packet leaves for a userspace program */
  private parseQueue(c: Cursor, tb: IrTable, rule: IrRule): Expr {
    const q = next(c);
    let flags = 0;
    let bypass = false, fanout = false, range = true;
    for (;;) {
      const t = peek(c);
      if (t.v === 'fanout' || (t.v === 'flags' && c.toks.slice(c.pos, c.pos + 4).some((x) => x.v === 'fanout'))) fanout = true;
      if (t.v === 'flags') {
        next(c);
        for (;;) {
          const f = next(c);
          if (f.v !== 'bypass' && f.v !== 'fanout') throw err(f, `syntax error, unexpected ${show(f)}, expecting bypass or fanout`);
          if (f.v === 'bypass') bypass = true;
          flags++;
          if (peek(c).v !== ',') break;
          next(c);
        }
      } else if (t.v === 'bypass' || t.v === 'fanout') { next(c); flags++; if (t.v === 'bypass') bypass = true; if (peek(c).v === ',') next(c); }
      else if (t.v === 'num' || t.v === 'to') {
        next(c);
        const x = peek(c);
        if (x.t === 'word' && /^\d+(-\d+)?$/.test(x.v)) {
          next(c);
          const [a, b] = x.v.split('-').map(Number) as [number, number?];
          if (a > 65535 || (b !== undefined && (b > 65535 || b < a))) throw err(x, `queue number '${x.v}' out of range`);
          range = b !== undefined;
        } else if (t.v === 'to') {
          const v = this.parseValueExpr(c, tb, { ...opaqueLhs('queue number'), types: ['integer(16)'] });
          range = false;
          // the grammar takes a hash, numgen or map here; stmt_evaluate_queue bounds it to 16 bits
          if (typeof v === 'object' && v.k !== 'hash' && v.k !== 'numgen' && v.k !== 'map') throw err(peek(c), `syntax error, unexpected ${show(peek(c))}, expecting . or map`);
          if (typeof v === 'object' && (v.k === 'hash' || v.k === 'numgen') && v.mod + (v.offset ?? 0) - 1 > 65535) throw err(x, 'queue expression max value exceeds 65535');
          // `queue to KEY map { ... }`: nft_lookup with a data register ends the rule (NFT_BREAK) when the
          // key has no element, before nft_queue_sreg_eval runs (tests/py any/queue.t.payload)
          if (typeof v === 'object' && v.k === 'map') rule.exprs.push({ k: 'cmp', left: v, op: 'gte', value: 0 });
        } else throw err(x, `syntax error, unexpected ${show(x)}`);
      } else break;
    }
    if (fanout && !range) throw err(q, 'fanout requires a range to be specified');
    void flags;
    return bypass ? { k: 'verdict', v: 'queue', bypass: true } : { k: 'verdict', v: 'queue' };
  }

  /** jump|goto { rules }: an anonymous chain bound to this rule (nft lists it inline) */
  private parseChainBinding(c: Cursor, tb: IrTable, rule: IrRule): Expr {
    const kw = next(c);
    const name = `__chain${this.bindings++}`;
    const ch: IrChain = { name, rules: [], src: { file: kw.file, line: kw.line, text: `${kw.v} {` } };
    tb.chains.push(ch);
    expectP(c, '{');
    for (;;) {
      while (peek(c).t === 'nl' || (peek(c).t === 'punct' && peek(c).v === ';')) next(c);
      const t = peek(c);
      if (t.t === 'punct' && t.v === '}') { next(c); break; }
      if (t.t === 'eof') throw err(t, "syntax error, unexpected end of rule, expecting '}'");
      const stmt: Tok[] = [];
      let depth = 0;
      while (peek(c).t !== 'eof' && !(depth === 0 && (peek(c).t === 'nl' || peek(c).v === ';' || peek(c).v === '}'))) {
        const x = next(c);
        if (x.v === '{') depth++;
        if (x.v === '}') depth--;
        if (x.t !== 'nl') stmt.push(x);
      }
      if (stmt.length) ch.rules.push(this.parseRule(stmt, tb, ch, kw.file));
    }
    void rule;
    return { k: 'verdict', v: kw.v as 'jump', chain: name };
  }

  /** quota [over|until] N UNIT [used M UNIT] | quota name "x" */
  private parseQuota(c: Cursor, tb: IrTable): Expr {
    const q = next(c);
    if (peek(c).v === 'name') {
      next(c);
      if (peek(c).t === 'str' || !this.startsLoad(peek(c))) this.objectRef(next(c), tb, 'quota');
      else this.skipObjectExpr(c, tb);
      return { k: 'unsupported', what: 'quota name (named quota object)' };
    }
    let over = false;
    if (peek(c).v === 'over') { next(c); over = true; }
    else if (peek(c).v === 'until') next(c);
    const bytes = this.parseBytes(c, q);
    let used = 0;
    if (peek(c).v === 'used') { next(c); used = this.parseBytes(c, q); }
    return { k: 'quota', bytes, over, used };
  }

  private parseBytes(c: Cursor, at: Tok): number {
    const n = next(c);
    let m = /^(\d+)(bytes|kbytes|mbytes|gbytes)?$/.exec(n.v);
    if (!m) throw err(n, `Could not parse quota value '${n.v}'`);
    let unit = m[2];
    if (!unit) {
      const u = next(c);
      if (!/^(bytes|kbytes|mbytes|gbytes)$/.test(u.v)) throw err(u, `Wrong unit '${u.v}'`);
      unit = u.v;
    }
    void at;
    m = null;
    const mult = unit === 'kbytes' ? 1024 : unit === 'mbytes' ? 1024 ** 2 : unit === 'gbytes' ? 1024 ** 3 : 1;
    return Number(n.v.replace(/\D+$/, '')) * mult;
  }

  /** add|update|delete @set { KEY [timeout T] [stmt...] } */
  private parseDynset(c: Cursor, tb: IrTable): Expr {
    const op = next(c).v as 'add' | 'update' | 'delete';
    const st = next(c);
    const name = st.v.slice(1);
    const set = tb.sets.get(name);
    if (!set) throw err(st, `Set '${name}' does not exist`);
    return this.parseDynsetBody(c, tb, op, name);
  }

  private parseDynsetBody(c: Cursor, tb: IrTable, op: 'add' | 'update' | 'delete', name: string): Expr {
    expectP(c, '{');
    // the key: loads, or constants inside a concatenation (ip saddr . 22)
    const keyParts: Load[] = [];
    for (;;) {
      if (this.startsLoad(peek(c)) || peek(c).v === '(') keyParts.push(this.parseBinops(c, this.parsePrimaryLhs(c, tb.family)).load);
      else { const k = next(c); keyParts.push({ k: 'opaque', what: `constant ${k.v}` }); }
      if (peek(c).v !== '.') break;
      next(c);
    }
    const lhs = { load: keyParts.length === 1 ? keyParts[0]! : ({ k: 'concat', parts: keyParts } as Load) };
    let timeout: number | undefined;
    const stmts: Expr[] = [];
    for (;;) {
      const t = peek(c);
      if (t.v === '}') { next(c); break; }
      if (t.t === 'eof') throw err(t, "syntax error, expecting '}'");
      if (t.v === 'timeout' || t.v === 'expires') {
        next(c);
        const v = next(c);
        const ms = parseTimeMs(v.v);
        if (ms === undefined) throw err(v, `Could not parse time '${v.v}'`);
        if (t.v === 'timeout') timeout = ms;
        continue;
      }
      if (t.v === ':') {
        // map update: @m { key : value }
        next(c);
        this.parseValueExpr(c, tb, opaqueLhs('map data'));
        continue;
      }
      const e = this.parseStmt(c, tb, { handle: 0, exprs: [], src: { file: t.file, line: t.line, text: '' } });
      if (e) stmts.push(e);
    }
    return { k: 'dynset', op, set: name, key: lhs.load, timeout, stmts };
  }

  /** meter NAME [size N] { KEY [timeout T] stmt }: a dynamic set created by the rule */
  private parseMeter(c: Cursor, tb: IrTable): Expr {
    next(c);
    const n = expect(c, 'word', 'str');
    let size: number | undefined;
    if (peek(c).v === 'size') { next(c); size = Number(next(c).v); }
    if (!tb.sets.has(n.v)) tb.sets.set(n.v, { name: n.v, keyTypes: ['meter'], keyLens: [4], interval: false, elems: [], src: { file: n.file, line: n.line, text: `meter ${n.v}` }, ...(size ? { size } : {}) });
    return this.parseDynsetBody(c, tb, 'update', n.v);
  }

  parseLhs(c: Cursor, family: TableFamily): Lhs {
    const parts: Lhs[] = [this.parsePrimaryLhs(c, family)];
    while (peek(c).t === 'punct' && peek(c).v === '.') {
      next(c);
      parts.push(this.parsePrimaryLhs(c, family));
    }
    if (parts.length > 1 && this.pctx && parts.some((p) => p.ctAddrNoL3)) throw err(c.toks[c.pos - 1]!, 'specify either ip or ip6 for address matching');
    const lhs = parts.length === 1 ? parts[0]! : concatLhs(parts);
    return this.parseBinops(c, lhs);
  }

  /** `lhs & v`, `| v`, `^ v` (and/or/xor), `<< n`, `>> n`: nft_bitwise with constants */
  private parseBinops(c: Cursor, lhs0: Lhs): Lhs {
    let lhs = lhs0;
    for (;;) {
      const o = peek(c);
      const isOp = (o.t === 'punct' && (o.v === '&' || o.v === '|' || o.v === '^' || o.v === '<<' || o.v === '>>')) || (o.t === 'word' && (o.v === 'and' || o.v === 'or' || o.v === 'xor'));
      if (!isOp) break;
      next(c);
      if (o.v === '<<' || o.v === '>>') {
        const n = next(c);
        if (!/^\d+$/.test(n.v)) throw err(n, `Could not parse shift amount '${n.v}'`);
        lhs = { ...lhs, load: { k: 'shift', src: lhs.load, op: o.v === '<<' ? 'lshift' : 'rshift', n: Number(n.v) }, bitmask: false, syms: undefined };
        continue;
      }
      const op = o.v === 'and' ? '&' : o.v === 'or' ? '|' : o.v === 'xor' ? '^' : o.v;
      if (lhs.kind !== 'int' || lhs.parts) {
        // wide values (addresses): the mask is a value of the same type
        const t = next(c);
        const m = parseConst(lhs, t.v);
        if (m === undefined) throw err(t, `Could not parse ${lhs.types.join(' . ')} value '${t.v}'`);
        if (typeof m === 'number') {
          const [mm, x] = op === '&' ? [m, 0] : op === '|' ? [(~m) >>> 0, m] : [0xffffffff, m];
          lhs = { ...lhs, load: { k: 'bitwise', src: lhs.load, mask: mm >>> 0, xor: x >>> 0 } };
        } else {
          const inv = (v: string) => Array.from(v, (ch) => String.fromCharCode(~ch.charCodeAt(0) & 255)).join('');
          const ones = '\xff'.repeat(m.length), zero = '\0'.repeat(m.length);
          const [wm, wx] = op === '&' ? [m, zero] : op === '|' ? [inv(m), m] : [ones, m];
          lhs = { ...lhs, load: { k: 'bitwise', src: lhs.load, mask: 0, xor: 0, wmask: wm, wxor: wx } };
        }
        continue;
      }
      const mask = this.parseBitValue(c, lhs);
      const full = lhs.bits >= 32 ? 0xffffffff : 2 ** lhs.bits - 1;
      const [m, x] = op === '&' ? [mask, 0] : op === '|' ? [(full & ~mask) >>> 0, mask] : [full, mask];
      // a flag field keeps its flag syntax for the value it is compared to: tcp flags & (syn | ack) == syn | ack
      lhs = { ...lhs, load: { k: 'bitwise', src: lhs.load, mask: m >>> 0, xor: x >>> 0 }, bitmask: lhs.bitmask && op === '&' };
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

  /** `@ll,OFF,LEN` raw payload (bit offset and length) */
  private parseRawPayload(c: Cursor, t: Tok): Lhs {
    const base = t.v.slice(1);
    if (!['ll', 'nh', 'th', 'ih'].includes(base)) throw err(t, `syntax error, unexpected ${t.v}`);
    expectP(c, ',');
    const o = next(c);
    expectP(c, ',');
    const l = next(c);
    if (!/^\d+$/.test(o.v) || !/^\d+$/.test(l.v)) throw err(o, 'raw payload: offset and length must be numbers');
    const off = Number(o.v), bits = Number(l.v);
    if (bits === 0 || bits > 128) throw err(l, `raw payload length ${bits} out of range`);
    const byteOff = off >> 3, endBit = off + bits, len = Math.ceil(endBit / 8) - byteOff;
    const load: Load = { k: 'payload', base: base as 'll', offset: byteOff, len, proto: 'raw', field: `@${base},${off},${bits}` };
    if (off % 8 !== 0 || bits % 8 !== 0) {
      if (len > 4) throw err(t, 'raw payload: unaligned loads wider than 32 bits are not modelled');
      const shift = len * 8 - (off % 8) - bits;
      load.mask = (((2 ** bits) - 1) * 2 ** shift) >>> 0;
      load.shift = shift;
    }
    // wider raw loads compare as binary strings; constants are hex numbers of that width
    if (len > 4) return { load, kind: 'mac', bitmask: false, types: [`integer(${bits})`], lens: [len], bits, raw: true };
    return { load, kind: 'int', bitmask: false, types: [`integer(${bits})`], lens: [len], bits };
  }

  /** numgen inc|random mod N [offset M]; jhash EXPR mod N [seed S] [offset M]; symhash mod N [offset M] */
  private parseHashLike(c: Cursor, t: Tok, family: TableFamily): Lhs {
    let mode: 'inc' | 'random' | undefined;
    let src: Load | undefined;
    if (t.v === 'numgen') {
      const m = next(c);
      if (m.v !== 'inc' && m.v !== 'random') throw err(m, `syntax error, unexpected ${show(m)}, expecting inc or random`);
      mode = m.v;
    } else if (t.v === 'jhash') {
      const parts = [this.parsePrimaryLhs(c, family)];
      while (peek(c).v === '.') { next(c); parts.push(this.parsePrimaryLhs(c, family)); }
      src = parts.length === 1 ? parts[0]!.load : concatLhs(parts).load;
    }
    if (next(c).v !== 'mod') throw err(c.toks[c.pos - 1]!, "expecting 'mod'");
    const num = (x: Tok) => {
      const v = /^0x[0-9a-f]+$/i.test(x.v) ? parseInt(x.v, 16) : /^\d+$/.test(x.v) ? Number(x.v) : NaN;
      if (!Number.isFinite(v) || v > 0xffffffff) throw err(x, `Could not parse value '${x.v}'`);
      return v;
    };
    const mod = num(next(c));
    if (mod === 0) throw err(c.toks[c.pos - 1]!, 'mod must be greater than 0');
    let seed: number | undefined, offset: number | undefined;
    for (;;) {
      if (peek(c).v === 'seed' && t.v === 'jhash') { next(c); seed = num(next(c)); }
      else if (peek(c).v === 'offset') { next(c); offset = num(next(c)); }
      else break;
    }
    const load: Load = t.v === 'numgen' ? { k: 'numgen', mod, mode, offset } : { k: 'hash', type: t.v as 'jhash', src, mod, seed, offset };
    return { load, kind: 'int', bitmask: false, types: ['integer(32)'], lens: [4], bits: 32 };
  }

  /** extension headers, options, rt, osf, socket, ipsec: parsed, evaluated as unsupported */
  private parseOpaque(c: Cursor, t: Tok, family: TableFamily): Lhs {
    const words = [t.v];
    const take = () => { const x = next(c); words.push(x.v); return x; };
    const isField = (x: Tok) => x.t === 'word' && /^[a-z][a-z0-9-]*(\[\d+\])?$/.test(x.v) && !OPAQUE_STOP.has(x.v) && !VERDICTS.has(x.v);
    switch (t.v) {
      case 'osf':
        if (peek(c).v === 'ttl') {
          take();
          const o = take();
          if (!['loose', 'skip', 'global'].includes(o.v)) throw err(o, 'invalid ttl option');
        }
        take(); // name | version
        return opaqueLhs(words.join(' '), 'str');
      case 'socket':
        take();
        if (words[1] === 'cgroupv2') { take(); take(); }
        // socket transparent|wildcard are booleans (1 bit)
        return { ...opaqueLhs(words.join(' ')), checkBits: words[1] === 'transparent' || words[1] === 'wildcard' ? 1 : 32 };
      case 'ipsec': {
        const d = take(); // in|out
        if (d.v !== 'in' && d.v !== 'out') throw err(d, 'Could not parse boolean type');
        if (peek(c).v === 'spnum') {
          take();
          const n = take();
          if (!/^\d+$/.test(n.v) || Number(n.v) > 255) throw err(n, 'value too large');
        }
        if (peek(c).v === 'ip' || peek(c).v === 'ip6') take();
        take();
        return opaqueLhs(words.join(' '), words.includes('ip6') ? 'ipv6' : words.includes('ip') ? 'ipv4' : 'int');
      }
      case 'exthdr': {
        const h = take();
        if (peek(c).t === 'word' && isField(peek(c))) take();
        const hdr = IPV6_EXTHDR[h.v];
        // `exthdr hbh exists`: whether the header is there
        if (hdr && words.length === 2) return exthdrLhs({ k: 'exthdr', op: 'ipv6', type: hdr.type, offset: 0, len: 1, present: true, what: words.join(' ') }, 'int');
        const fd = hdr && words.length === 3 ? hdr.fields[words[2]!] ?? indexedAddr(h.v, words[2]!) : undefined;
        if (fd) return exthdrLhs({ k: 'exthdr', op: 'ipv6', type: fd.type, offset: fd.offset, len: fd.len, mask: fd.mask, shift: fd.shift, what: words.join(' ') }, fd.kind);
        return opaqueLhs(words.join(' '));
      }
      default: {
        // rt [ip|ip6] classid|nexthop|mtu|ipsec; hbh/dst/mh/frag/rt0/rt2/srh FIELD; rt FIELD (routing header)
        if (t.v === 'rt' && (peek(c).v === 'ip' || peek(c).v === 'ip6')) take();
        if (isField(peek(c))) take();
        if (t.v === 'rt' && words.includes('nexthop')) {
          // expr_evaluate_rt: the nexthop's family comes from the table or from rt ip|ip6
          const f = words.includes('ip6') ? 'ip6' : words.includes('ip') ? 'ip' : family === 'inet' ? this.pctx?.network : undefined;
          if (family === 'inet' && !f) throw err(t, 'cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead');
          if ((family === 'ip' || family === 'ip6') && f && f !== family) throw err(t, `${f} nexthop will not match`);
          return opaqueLhs(words.join(' '), (f ?? family) === 'ip6' ? 'ipv6' : 'ipv4');
        }
        const hdr = IPV6_EXTHDR[t.v];
        const fd = hdr && words.length === 2 ? hdr.fields[words[1]!] ?? indexedAddr(t.v, words[1]!) : undefined;
        if (fd) return exthdrLhs({ k: 'exthdr', op: 'ipv6', type: fd.type, offset: fd.offset, len: fd.len, mask: fd.mask, shift: fd.shift, what: words.join(' ') }, fd.kind);
        return opaqueLhs(words.join(' '), words.includes('nexthop') ? (words.includes('ip6') || family === 'ip6' ? 'ipv6' : 'ipv4') : 'int');
      }
    }
  }

  /** tcp option NAME [FIELD] | tcp option @N,OFF,LEN; ip option NAME [FIELD]; sctp chunk NAME [FIELD]; dccp option N */
  private parseOptionLoad(c: Cursor, t: Tok): Lhs {
    const words = [t.v, next(c).v];
    const name = next(c);
    words.push(name.v);
    if (name.v.startsWith('@')) { expectP(c, ','); const a = next(c); expectP(c, ','); const b = next(c); words.push(a.v, b.v); return { ...opaqueLhs(words.join(' ')), checkBits: Number(b.v) || 0 }; }
    if (/^\d+$/.test(name.v) && Number(name.v) > 255) throw err(name, 'value too large');
    const x = peek(c);
    if (x.t === 'word' && /^[a-z][a-z0-9-]*$/.test(x.v) && !OPAQUE_STOP.has(x.v) && !VERDICTS.has(x.v)) {
      // a field the option does not have (tcp option eol left): the grammar has no such field
      if (t.v === 'tcp' && TCP_OPTIONS[name.v] && !(x.v in TCP_OPTIONS[name.v]!.fields) && x.v !== 'exists' && x.v !== 'missing') throw err(x, `syntax error, unexpected ${x.v}`);
      words.push(next(c).v);
    }
    if (t.v === 'tcp') {
      const o = TCP_OPTIONS[name.v] ?? (/^\d+$/.test(name.v) ? { kind: Number(name.v), fields: { kind: [0, 1], length: [1, 1] } as Record<string, [number, number, number?, number?]> } : undefined);
      if (o && words.length === 3) return exthdrLhs({ k: 'exthdr', op: 'tcpopt', type: o.kind, offset: 0, len: 1, present: true, what: words.join(' ') }, 'int');
      const fd = o?.fields[words[3] ?? ''];
      if (o && fd) return exthdrLhs({ k: 'exthdr', op: 'tcpopt', type: o.kind, offset: fd[0], len: fd[1], mask: fd[2], shift: fd[3], what: words.join(' ') }, 'int');
    }
    return opaqueLhs(words.join(' '));
  }

  private parsePrimaryLhs(c: Cursor, family: TableFamily): Lhs {
    const t = next(c);
    if (t.t === 'punct' && t.v === '(') {
      const l = this.parseLhs(c, family);
      expectP(c, ')');
      return l;
    }
    if (t.t !== 'word') throw err(t, `syntax error, unexpected ${show(t)}`);
    const w = t.v;
    if (w.startsWith('@') && peek(c).v === ',') return this.parseRawPayload(c, t);
    if (w === 'numgen' || w === 'jhash' || w === 'symhash') return this.parseHashLike(c, t, family);
    if (OPAQUE_LOADS.has(w)) return this.parseOpaque(c, t, family);
    if ((w === 'tcp' || w === 'ip' || w === 'dccp') && peek(c).v === 'option') return this.parseOptionLoad(c, t);
    if (w === 'sctp' && peek(c).v === 'chunk') return this.parseOptionLoad(c, t);
    if (w === 'meta' && ['time', 'day', 'hour'].includes(peek(c).v)) return opaqueLhs(`meta ${next(c).v}`, 'str');
    if (w === 'time' || w === 'day' || w === 'hour') return opaqueLhs(`meta ${w}`, 'str');
    if (w === 'meta') {
      const k = expect(c, 'word');
      const l = metaLhs(k.v);
      if (!l) throw err(k, `unknown meta key '${k.v}'`);
      this.checkMetaKey(k, family);
      return l;
    }
    const bare = metaLhs(w);
    if (bare && !(w in { mark: 1 } && false)) { this.checkMetaKey(t, family); return bare; }
    if (w === 'ct') {
      let dir: 'original' | 'reply' | undefined;
      let k = expect(c, 'word');
      if (k.v === 'original' || k.v === 'reply') { dir = k.v; k = expect(c, 'word'); }
      let l3: 'ip' | 'ip6' | undefined;
      if (k.v === 'ip' || k.v === 'ip6') {
        // ct original ip saddr: the family form exists with a direction only (parser_bison.y ct_expr)
        if (!dir) throw err(k, `syntax error, unexpected ${k.v}`);
        l3 = k.v;
        k = expect(c, 'word');
      }
      if (dir && !CT_DIR_KEYS.has(k.v) && CT_KEYS.has(k.v)) throw err(k, `syntax error, unexpected ${k.v}`);
      const l = ctLhs(k.v, dir, family, l3);
      if (!l) throw err(k, `unknown ct key '${k.v}'`);
      if (l3) this.pctx?.need(l3, k, this.refuse);
      if (!l3 && (k.v === 'saddr' || k.v === 'daddr')) return { ...l, ctAddrNoL3: true };
      if (k.v === 'zone') return { ...l, bits: 16 };
      return l;
    }
    if (w === 'fib') {
      const flags: string[] = [];
      for (;;) {
        const f = expect(c, 'word');
        const nx = peek(c).v;
        const flagOif = f.v === 'oif' && (nx === '.' || nx === 'type' || nx === 'oif' || nx === 'oifname');
        if (!flagOif && (f.v === 'type' || f.v === 'oif' || f.v === 'oifname')) {
          // fib_expr_alloc / expr_evaluate_fib
          if (flags.includes('saddr') && flags.includes('daddr')) throw err(t, 'fib: saddr and daddr are mutually exclusive');
          if (flags.includes('iif') && flags.includes('oif')) throw err(t, 'fib: iif and oif are mutually exclusive');
          if (!flags.includes('saddr') && !flags.includes('daddr')) throw err(t, 'fib: need either saddr or daddr');
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
      this.pctx?.need(w, t, this.refuse);
      this.pctx?.icmpField(w, field, t, this.refuse);
      f = t;
      return l;
    }
    throw err(t, `syntax error, unexpected ${w}`);
  }

  /** meta keys nft or the kernel refuse in this family */
  private checkMetaKey(k: Tok, family: TableFamily): void {
    if (k.v === 'nfproto' && family !== 'inet') throw err(k, 'meta nfproto is only useful in the inet family');
    // nft_meta_bridge registers ibrname/obrname/... for NFPROTO_BRIDGE only: the kernel answers EOPNOTSUPP
    if ((k.v === 'ibrname' || k.v === 'obrname') && family !== 'bridge') throw err(k, 'Could not process rule: Operation not supported');
  }

  private parseMatch(c: Cursor, lhs: Lhs, tb: IrTable): Expr {
    let op: string = 'implicit';
    const o = peek(c);
    const OPS: Record<string, string> = { '==': 'eq', eq: 'eq', '!=': 'neq', ne: 'neq', '<': 'lt', lt: 'lt', '>': 'gt', gt: 'gt', '<=': 'lte', le: 'lte', '>=': 'gte', ge: 'gte' };
    if ((o.t === 'punct' || o.t === 'word') && o.v in OPS) { next(c); op = OPS[o.v]!; }
    else if (o.t === 'punct' && o.v === '!' && lhs.bitmask) {
      // `tcp flags ! fin,rst`: none of these bits set
      if (lhs.load.k === 'bitwise') throw err(o, 'cannot combine negation with binary expression');
      next(c);
      const v = this.parseFlagList(c, lhs);
      return { k: 'cmp', left: { k: 'bitwise', src: lhs.load, mask: v, xor: 0 }, op: 'eq', value: 0 };
    }
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
      // `tcp flags syn`: any of these bits; `tcp flags & (fin|syn|rst|ack) syn`: the masked value equals it
      if (op === 'implicit' && lhs.load.k === 'bitwise') return { k: 'cmp', left: lhs.load, op: 'eq', value: v };
      if (op === 'implicit') return { k: 'cmp', left: { k: 'bitwise', src: lhs.load, mask: v, xor: 0 }, op: 'neq', value: 0 };
      return { k: 'cmp', left: lhs.load, op: op as 'eq' | 'neq', value: v };
    }
    if (lhs.load.k === 'exthdr' && lhs.load.present && (peek(c).v === 'missing' || peek(c).v === 'exists' || peek(c).v === 'true' || peek(c).v === 'false')) {
      const w = next(c).v;
      const want = w === 'exists' || w === 'true' ? 1 : 0;
      return { k: 'cmp', left: lhs.load, op: op === 'neq' ? 'neq' : 'eq', value: want };
    }
    if (lhs.load.k === 'fib' && (peek(c).v === 'missing' || peek(c).v === 'exists')) {
      // fib ... oif missing|exists: whether a route (through that device) was found
      const w = next(c).v;
      return { k: 'cmp', left: lhs.load, op: (w === 'missing') !== (op === 'neq') ? 'eq' : 'neq', value: '' };
    }
    if (lhs.kind === 'str' && !lhs.parts) {
      const s = next(c);
      if (s.t !== 'str' && s.t !== 'word') throw err(s, `syntax error, unexpected ${show(s)}`);
      this.checkStringValue(lhs, s);
      if (s.v.endsWith('*') && !s.v.endsWith('\\*')) return { k: 'prefixcmp', left: lhs.load, neg: op === 'neq', value: s.v.slice(0, -1) };
      // "dummy\*": a literal star (the lexer keeps the escape)
      return { k: 'cmp', left: lhs.load, op: op === 'neq' ? 'neq' : 'eq', value: s.v.replace(/\\\*/g, '*') };
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

  /** the string-typed keys' constants: names that fit, and the meta time/day/hour formats */
  private checkStringValue(lhs: Lhs, s: Tok): void {
    const l = lhs.load;
    const what = l.k === 'opaque' ? l.what : '';
    if (what === 'meta day') {
      if (/^\d+$/.test(s.v)) { if (Number(s.v) > 6) throw err(s, `Value ${s.v} exceeds valid range 0-6`); }
      else if (!(s.v in DAYS)) throw err(s, 'Could not parse Day of week of packet reception');
    } else if (what === 'meta hour') {
      if (parseHour(s.v) === undefined) throw err(s, 'wrong time format');
    } else if (what === 'meta time') {
      if (!validDate(s.v)) throw err(s, 'Cannot parse date');
    } else if (what.startsWith('osf')) {
      checkString(s.v, 16, s, this.refuse);
    } else if ((l.k === 'meta' && lhs.types[0] === 'ifname') || (l.k === 'ct' && l.key === 'helper')) {
      checkString(s.v.replace(/\\\*/g, '*'), 16, s, this.refuse);
    }
  }

  private parseConcatValue(c: Cursor, lhs: Lhs, tb: IrTable): [Val, Val] {
    const el = this.parseElemKey(c, lhs, tb);
    if (el.parts) throw err(peek(c), 'ranges in a concatenation need a set');
    return el.key;
  }

  private parseFlagList(c: Cursor, lhs: Lhs): number {
    if (peek(c).v === '(') return this.parseBitValue(c, lhs);
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
      const set = tb.sets.get(name);
      if (!set) throw err(t, `Set '${name}' does not exist`);
      // expr_evaluate_relational / datatype_equal: an address compared with a set of the other kind
      const want = set.keyTypes.length === 1 ? ADDR_TYPE_NAME[set.keyTypes[0]!] : undefined;
      const have = lhs.types.length === 1 && !lhs.opaque ? ADDR_TYPE_NAME[lhs.types[0]!] : undefined;
      if (this.pctx && want && have && want !== have) throw err(t, `datatype mismatch, expected ${have}, expression has type ${want}`);
      return name;
    }
    if (t.v !== '{') throw err(t, `syntax error, unexpected ${show(t)}`);
    const set = this.anonSet(lhs);
    this.parseElements(c, lhs, set, isMap, tb);
    // bitmask elements in an anonymous set are exact values
    return set;
  }

  private parseLog(c: Cursor): Expr {
    const at = next(c);
    const e: Expr = { k: 'log' };
    let group = false, flags = false, prefix = false;
    for (;;) {
      const t = peek(c);
      if (t.v === 'prefix') { next(c); e.prefix = next(c).v; prefix = true; }
      else if (t.v === 'level') { next(c); e.level = next(c).v; }
      else if (['group', 'snaplen', 'queue-threshold'].includes(t.v)) { next(c); next(c); group = true; }
      else if (t.v === 'flags') {
        next(c);
        flags = true;
        while (peek(c).t === 'word' && ['tcp', 'ip', 'skuid', 'ether', 'all', 'sequence', 'options'].includes(peek(c).v)) { next(c); if (peek(c).v === ',') next(c); }
      } else break;
    }
    // stmt_evaluate_log: a group sends to nfnetlink_log, which has no level or flags; audit takes nothing
    if (group && e.level !== undefined) throw err(at, 'level and group are mutually exclusive');
    if (group && flags) throw err(at, 'flags and group are mutually exclusive');
    if (e.level === 'audit' && (flags || prefix)) throw err(at, "log level audit doesn't support any further options");
    return e;
  }

  private parseLimit(c: Cursor, tb: IrTable): Expr {
    const start = next(c);
    if (peek(c).v === 'name') {
      next(c);
      if (peek(c).t === 'str' || !this.startsLoad(peek(c))) this.objectRef(next(c), tb, 'limit');
      else this.skipObjectExpr(c, tb);
      return { k: 'unsupported', what: 'limit name (named limit object)' };
    }
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
      const u = peek(c);
      // the grammar: a packet rate takes `burst N packets`, a byte rate `burst N [k|m]bytes`
      if (u.v === 'packets' && bytes) throw err(u, 'syntax error, unexpected packets, expecting string or bytes');
      if (/bytes$/.test(u.v) && !bytes) throw err(u, `syntax error, unexpected ${u.v}, expecting packets`);
      if (u.v === 'packets' || /bytes$/.test(u.v)) next(c);
    }
    return { k: 'limit', rate, unit: unit as 'second', burst, bytes, over };
  }

  private parseReject(c: Cursor, family: TableFamily): Expr {
    const e = this.parseReject0(c, family);
    // stmt_evaluate_reject: the family the earlier matches selected must suit the reply
    const pctx = this.pctx, at = c.toks[c.pos - 1]!;
    if (pctx && e.k === 'reject') {
      if (pctx.l3 === 'arp') throw err(at, 'cannot reject this network family');
      if ((e.type === 'icmp' && pctx.network === 'ip6') || (e.type === 'icmpv6' && pctx.network === 'ip')) throw err(at, 'conflicting protocols specified: ip vs ip6');
      if (e.type === 'tcp-reset' && pctx.l4 !== undefined && pctx.l4 !== 6) throw err(at, 'you cannot use tcp reset with this protocol');
    }
    return e;
  }

  private parseReject0(c: Cursor, family: TableFamily): Expr {
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
    let explicit: 4 | 6 | undefined;
    if (peek(c).v === 'ip' || peek(c).v === 'ip6') e.family = explicit = next(c).v === 'ip' ? 4 : 6;
    let prefix = false;
    if (peek(c).v === 'prefix' || peek(c).v === 'interval') { next(c); prefix = true; }
    if (peek(c).v === 'to') {
      next(c);
      const a = next(c);
      if (a.t !== 'word' && !(a.t === 'punct' && a.v === ':')) throw err(a, 'expecting an address');
      // the map forms (dnat to ip saddr map {...}, redirect to :tcp dport map {...}) are not modelled
      if (prefix || a.v === ':' || ['ip', 'ip6', 'tcp', 'udp', 'th', 'meta', 'ct', 'numgen', 'jhash', 'symhash', ':tcp', ':udp', ':th'].includes(a.v)) {
        const from = c.pos;
        while (peek(c).t !== 'eof' && !(peek(c).t === 'word' && VERDICTS.has(peek(c).v))) {
          if (peek(c).v === '{') skipBraces(c);
          else next(c);
        }
        if (a.v.startsWith(':') && this.pctx && this.pctx.l4 === undefined) throw err(t, 'transport protocol mapping is only valid after transport protocol match');
        this.checkNatMap(t, [a, ...c.toks.slice(from, c.pos)], explicit ?? e.family);
        return { k: 'unsupported', what: `${t.v} to ${a.v} ... (mapped nat)` };
      }
      this.checkNatTarget(t, a, family, explicit);
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

  /** stmt_evaluate_nat: the address family (inet needs ip/ip6 or an earlier match) and a port needs a transport match */
  private checkNatTarget(t: Tok, a: Tok, family: TableFamily, explicit: 4 | 6 | undefined): void {
    const pctx = this.pctx;
    if (!pctx) return;
    let s = a.v, port = false;
    if (s.startsWith('[')) { port = s[s.indexOf(']') + 1] === ':'; s = s.slice(1, s.indexOf(']')); }
    else if (s.startsWith(':')) { port = true; s = ''; }
    else if (!s.includes('::') && s.split(':').length === 2) { port = true; s = s.split(':')[0]!; }
    if (s) {
      const fam = explicit ?? (pctx.network === 'ip' ? 4 : pctx.network === 'ip6' ? 6 : undefined);
      if (family === 'inet' && fam === undefined) throw err(t, 'ip or ip6 must be specified with address for inet tables.');
      const lo = s.split('-')[0]!;
      if (fam !== undefined && wrongFamilyAddr(fam === 4 ? 'ipv4' : 'ipv6', lo)) throw err(a, EAI_ADDRFAMILY);
    }
    if (port && pctx.l4 === undefined) throw err(t, 'transport protocol mapping is only valid after transport protocol match');
  }

  /** the mapped forms: the data's address family, and `ADDR . PORT` data needs a transport match */
  private checkNatMap(t: Tok, toks: Tok[], fam: 4 | 6 | undefined): void {
    const pctx = this.pctx;
    if (!pctx) return;
    let depth = 0;
    // a transport header in the map's key (tcp dport map {...}) is a transport match too
    // (th, the generic transport header, selects no protocol)
    const keyL4 = toks.some((x) => ['tcp', 'udp', 'udplite', 'sctp', 'dccp'].includes(x.v.replace(/^:/, '')));
    for (let i = 0; i < toks.length; i++) {
      const x = toks[i]!;
      if (x.v === '{') depth++;
      else if (x.v === '}') depth--;
      else if (depth > 0 && x.t === 'punct' && x.v === ':') {
        const d = toks[i + 1];
        if (!d) continue;
        if (fam !== undefined && wrongFamilyAddr(fam === 4 ? 'ipv4' : 'ipv6', d.v)) throw err(d, EAI_ADDRFAMILY);
        if (toks[i + 2]?.v === '.' && pctx.l4 === undefined && !keyL4) throw err(t, 'transport protocol mapping is only valid after transport protocol match');
      }
    }
  }

  /** ADDR[-ADDR][:PORT[-PORT]], [v6]:port, :PORT[-PORT] */
  private parseNatTarget(a: Tok, e: Extract<Expr, { k: 'nat' }>): void {
    let s = a.v;
    let ports: string | undefined;
    const v6range = /^\[([^\]]+)\]-\[([^\]]+)\](?::(.+))?$/.exec(s);
    if (v6range) {
      // [lo]-[hi]:ports (an IPv6 range with ports, as nft lists it)
      s = `${v6range[1]}-${v6range[2]}`;
      ports = v6range[3];
    } else if (s.startsWith('[')) {
      const end = s.indexOf(']');
      ports = s[end + 1] === ':' ? s.slice(end + 2) : undefined;
      // [v6]/len: a prefix
      s = s[end + 1] === '/' ? `${s.slice(1, end)}${s.slice(end + 1)}` : s.slice(1, end);
    } else if (s.startsWith(':')) {
      ports = s.slice(1);
      s = '';
    } else if (!s.includes('::') && s.split(':').length === 2) {
      [s, ports] = s.split(':') as [string, string];
    }
    const slash = s.indexOf('/');
    if (s && slash > 0) {
      // ADDR/LEN: the prefix's range (nft 1.0.6 lists `snat to 10.0.0.0-10.0.0.255` as 10.0.0.0/24)
      const base = parseIPv4(s.slice(0, slash)) ?? parseIPv6(s.slice(0, slash));
      const len = Number(s.slice(slash + 1));
      if (base === undefined || !/^\d+$/.test(s.slice(slash + 1)) || len > (typeof base === 'string' ? 128 : 32)) throw err(a, `Could not parse address '${s}'`);
      [e.addrLo, e.addrHi] = prefixRange(base, len, typeof base === 'string' ? 128 : 32);
      if (typeof base === 'string') e.family = 6;
      s = '';
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

const PAYLOAD_PROTOS: Record<string, 1> = { comp: 1, igmp: 1, ether: 1, vlan: 1, arp: 1, ip: 1, ip6: 1, tcp: 1, udp: 1, udplite: 1, sctp: 1, dccp: 1, th: 1, icmp: 1, icmpv6: 1, esp: 1, ah: 1, gre: 1 };

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
/** one statement's tokens; `keepNl` keeps the line ends inside braces (the rules of a chain binding) */
function collect(c: Cursor, keepNl = false): Tok[] {
  const out: Tok[] = [];
  let depth = 0;
  for (;;) {
    const t = peek(c);
    if (t.t === 'eof') break;
    if (depth === 0 && (t.t === 'nl' || (t.t === 'punct' && (t.v === ';' || t.v === '}')))) break;
    next(c);
    if (t.t === 'punct' && t.v === '{') depth++;
    if (t.t === 'punct' && t.v === '}') depth--;
    if (t.t === 'nl' && !(keepNl && depth > 0)) continue;
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

/** an Lhs for an exthdr load: numbers up to 4 bytes, 16-byte IPv6 addresses */
function exthdrLhs(load: Extract<Load, { k: 'exthdr' }>, kind: 'int' | 'ipv6'): Lhs {
  const bits = load.mask !== undefined ? (load.mask >>> (load.shift ?? 0)).toString(2).length : load.len * 8;
  const field = load.what.split(' ').pop()!;
  const syms = field === 'nexthdr' ? L4PROTO : load.what.startsWith('mh type') ? MH_TYPE : undefined;
  return { load, kind, syms, bitmask: false, types: [kind === 'ipv6' ? 'ipv6_addr' : load.present ? 'boolean' : field === 'nexthdr' ? 'inet_proto' : `integer(${bits})`], lens: [load.len], bits };
}

/** mh_type (nft src/exthdr.c mobility header types) */
const MH_TYPE: Record<string, number> = {
  'binding-refresh-request': 0, 'home-test-init': 1, 'careof-test-init': 2, 'home-test': 3, 'careof-test': 4, 'binding-update': 5, 'binding-acknowledgement': 6,
  'binding-error': 7, 'fast-binding-update': 8, 'fast-binding-acknowledgement': 9, 'fast-binding-advertisement': 10, 'experimental-mobility-header': 11, 'home-agent-switch-message': 12,
};

const ADDR_TYPE_NAME: Record<string, string> = { ipv4_addr: 'IPv4 address', ipv6_addr: 'IPv6 address', ether_addr: 'Ethernet address' };

/** statements with STMT_F_TERMINAL in nft (verdicts, reject, nat, queue, fwd; a verdict map is not one) */
function isTerminal(e: Expr, word: string): boolean {
  if (e.k === 'verdict' || e.k === 'reject' || e.k === 'nat') return true;
  if (e.k === 'fwd') return !e.dup;
  return e.k === 'unsupported' && ['snat', 'dnat', 'masquerade', 'redirect'].includes(word);
}

/** an anonymous map's interval keys may not overlap (nft's set_overlap: "conflicting intervals specified") */
function checkNoOverlap(set: SetDef, at: Tok): void {
  if (!set.interval) return;
  const iv = set.elems.filter((e) => Array.isArray(e.key) && !e.parts).map((e) => e.key as [Val, Val]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < iv.length; i++) if (typeof iv[i]![0] === typeof iv[i - 1]![1] && iv[i]![0] <= iv[i - 1]![1]) throw err(at, 'conflicting intervals specified');
}

/** a `ct helper` object's body: the helper's name, its protocol, and the families it serves */
export interface CtHelperObj { type: string; l4: number; l3: string }

/**
 * `ct helper set "NAME"`: nft_ct_helper_obj_eval gives an unconfirmed connection of the object's
 * protocol and family (helper4 for l3proto ip, helper6 for ip6, both for inet) the helper, unless
 * it has one already (IPS_HELPER_BIT; an existing helper extension is not replaced)
 */
function ctHelperSet(name: string, h: CtHelperObj): Expr {
  const v4 = h.l3 === 'ip' || h.l3 === 'inet', v6 = h.l3 === 'ip6' || h.l3 === 'inet';
  return { k: 'xt', name: `ct helper set "${name}"`, ct: true, mk: () => (p) => {
    const ct = p.ct;
    if (!ct || ct.status & IPS_CONFIRMED || ct.tuple[0].proto !== h.l4 || ct.helper) return true;
    if (ct.tuple[0].l3 === 2 ? v4 : v6) ct.helper = h.type;
    return true;
  } };
}
