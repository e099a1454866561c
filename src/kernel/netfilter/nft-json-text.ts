// nft -j rule statements written back in nft's text syntax (the two are one-to-one: libnftables
// prints both from the same expression tree, src/json.c and src/statement.c/expression.c), so a
// JSON rule is read by the text reader and gets exactly the IR, checks and errors of its text
// form. nft 1.0.6 itself prints a statement it has no JSON form for (chain bindings) as a JSON
// string holding its text: that string is used as it is. Throws on a shape it does not know.

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const PLAIN = /^[A-Za-z0-9_:][A-Za-z0-9_.:/-]*$/;

/** a constant or expression on either side of a match, or a statement's argument */
export function exprText(x: J): string {
  if (typeof x === 'number') return String(x);
  if (typeof x === 'boolean') return x ? 'exists' : 'missing';
  if (typeof x === 'string') {
    if (x === '*') return '*';
    if (x.startsWith('@') && PLAIN.test(x.slice(1))) return x;
    return PLAIN.test(x) ? x : JSON.stringify(x);
  }
  if (Array.isArray(x)) return x.map(exprText).join(','); // a flag list
  if (!x || typeof x !== 'object') throw new Error(`unknown expression ${JSON.stringify(x)}`);
  const [k, o] = Object.entries(x)[0] as [string, J];
  switch (k) {
    case 'prefix': return `${exprText(o.addr)}/${o.len}`;
    case 'range': return `${exprText(o[0])}-${exprText(o[1])}`;
    case 'concat': return o.map(exprText).join(' . ');
    case 'set': return `{ ${(Array.isArray(o) ? o : [o]).map((e: J) => (Array.isArray(e) ? `${exprText(e[0])} : ${dataText(e[1])}` : exprText(e))).join(', ')} }`;
    case 'elem': return `${exprText(o.val)}${o.timeout ? ` timeout ${o.timeout}s` : ''}`;
    case 'payload':
      if (o.protocol === undefined) return `@${o.base},${o.offset},${o.len}`;
      return `${o.protocol} ${o.field}`;
    case 'meta': return `meta ${o.key}`;
    case 'ct': return `ct ${o.dir ? `${o.dir} ${o.family ? `${o.family} ` : ''}` : ''}${o.key}`;
    case 'exthdr': return o.field === undefined ? `exthdr ${o.name}` : `${o.name} ${o.field}`;
    case 'tcp option':
      if (o.base !== undefined) return `tcp option @${o.base},${o.offset},${o.len}`;
      return `tcp option ${o.name}${o.field !== undefined ? ` ${o.field}` : ''}`;
    case 'ip option': return `ip option ${o.name}${o.field !== undefined ? ` ${o.field}` : ''}`;
    case 'sctp chunk': return `sctp chunk ${o.name}${o.field !== undefined ? ` ${o.field}` : ''}`;
    case 'dccp option': return `dccp option ${o.type}`;
    case 'numgen': return `numgen ${o.mode} mod ${o.mod}${o.offset ? ` offset ${o.offset}` : ''}`;
    case 'jhash': return `jhash ${exprText(o.expr)} mod ${o.mod}${o.seed !== undefined ? ` seed 0x${Number(o.seed).toString(16)}` : ''}${o.offset ? ` offset ${o.offset}` : ''}`;
    case 'symhash': return `symhash mod ${o.mod}${o.offset ? ` offset ${o.offset}` : ''}`;
    case 'fib': return `fib ${(Array.isArray(o.flags) ? o.flags : [o.flags]).join(' . ')} ${o.result}`;
    case 'rt': return `rt ${o.family ? `${o.family} ` : ''}${o.key}`;
    case 'socket': return `socket ${o.key}${o.level !== undefined ? ` level ${o.level}` : ''}`;
    case 'osf': return `osf ${o.ttl ? `ttl ${o.ttl} ` : ''}${o.key}`;
    case 'ipsec': return `ipsec ${o.dir} ${o.spnum ? `spnum ${o.spnum} ` : ''}${o.family ? `${o.family} ` : ''}${o.key}`;
    case 'map': return `${exprText(o.key)} map ${exprText(o.data)}`;
    case '&': case '|': case '^': case '<<': case '>>': {
      // a flag list (fin | syn | ack) nests as {"|": [fin, {"|": [syn, ack]}]}: written flat
      if (k === '|' && !isLoad(o[0])) return flagLeaves(x).join(' | ');
      const r = o[1];
      const right = r && typeof r === 'object' && !Array.isArray(r) && ('|' in r || '&' in r) ? `(${exprText(r)})` : Array.isArray(r) ? `(${r.map(exprText).join(' | ')})` : exprText(r);
      return `${exprText(o[0])} ${k} ${right}`;
    }
    default: {
      const v = verdictText(x);
      if (v) return v;
      throw new Error(`unknown expression ${JSON.stringify(x).slice(0, 80)}`);
    }
  }
}

function isLoad(x: J): boolean {
  return !!x && typeof x === 'object' && !Array.isArray(x) && !('|' in x);
}

function flagLeaves(x: J): string[] {
  if (x && typeof x === 'object' && !Array.isArray(x) && '|' in x) return [...flagLeaves(x['|'][0]), ...flagLeaves(x['|'][1])];
  return [exprText(x)];
}

function verdictText(x: J): string | null {
  for (const v of ['accept', 'drop', 'continue', 'return']) if (v in x) return v;
  if (x.jump) return `jump ${quoteName(x.jump.target)}`;
  if (x.goto) return `goto ${quoteName(x.goto.target)}`;
  return null;
}

function quoteName(n: string): string {
  return PLAIN.test(n) ? n : JSON.stringify(n);
}

/** a map element's data: a verdict or a value */
function dataText(x: J): string {
  if (x && typeof x === 'object' && !Array.isArray(x)) {
    const v = verdictText(x);
    if (v) return v;
  }
  return exprText(x);
}

const REL: Record<string, string> = { '==': '==', '!=': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=', in: '', '!': '!' };

/** one statement of a rule's "expr" array */
export function stmtText(x: J): string {
  if (typeof x === 'string') return x; // nft 1.0.6: a statement without a JSON form, printed as text
  const v = verdictText(x);
  if (v) return v;
  const [k, o] = Object.entries(x)[0] as [string, J];
  switch (k) {
    case 'match': {
      const op = REL[o.op ?? '=='];
      if (op === undefined) throw new Error(`unknown match op ${o.op}`);
      // "in" is the implicit flag test (tcp flags syn); "==" an equality, written out
      // tcp option N exists|missing: nft -j writes the option by number as a raw @N,0,8 load
      const to = o.left?.['tcp option'];
      if (typeof o.right === 'boolean' && to && to.base !== undefined && to.offset === 0 && to.len === 8) return `tcp option ${to.base} ${o.op === '!=' ? '!= ' : ''}${exprText(o.right)}`;
      if (typeof o.right === 'boolean') return `${exprText(o.left)} ${o.op === '!=' ? '!= ' : ''}${exprText(o.right)}`;
      return `${exprText(o.left)} ${op ? `${op} ` : ''}${exprText(o.right)}`;
    }
    case 'counter': return typeof o === 'string' ? `counter name ${JSON.stringify(o)}` : o && typeof o === 'object' && 'map' in o ? `counter name ${exprText(o)}` : 'counter';
    case 'notrack': return 'notrack';
    case 'last': return 'last';
    case 'log': {
      if (!o) return 'log';
      const p: string[] = ['log'];
      if (o.prefix !== undefined) p.push(`prefix ${JSON.stringify(o.prefix)}`);
      if (o.level !== undefined) p.push(`level ${o.level}`);
      if (o.group !== undefined) p.push(`group ${o.group}`);
      if (o.snaplen !== undefined) p.push(`snaplen ${o.snaplen}`);
      if (o['queue-threshold'] !== undefined) p.push(`queue-threshold ${o['queue-threshold']}`);
      if (o.flags !== undefined) p.push(`flags ${(Array.isArray(o.flags) ? o.flags : [o.flags]).join(' ')}`);
      return p.join(' ');
    }
    case 'limit': {
      if (typeof o === 'string') return `limit name ${JSON.stringify(o)}`;
      if (o && 'map' in o) return `limit name ${exprText(o)}`;
      const bytes = o.rate_unit !== undefined && o.rate_unit !== 'packets';
      let s = `limit rate ${o.inv ? 'over ' : ''}${o.rate}${bytes ? ` ${o.rate_unit}` : ''}/${o.per ?? 'second'}`;
      if (o.burst !== undefined && (o.burst !== 0 || !bytes)) s += ` burst ${o.burst} ${bytes ? o.burst_unit ?? 'bytes' : 'packets'}`;
      return s;
    }
    case 'quota': {
      if (typeof o === 'string') return `quota name ${JSON.stringify(o)}`;
      if (o && 'map' in o) return `quota name ${exprText(o)}`;
      return `quota ${o.inv ? 'over ' : ''}${o.val} ${o.val_unit ?? 'bytes'}${o.used ? ` used ${o.used} ${o.used_unit ?? 'bytes'}` : ''}`;
    }
    case 'ct count': return `ct count ${o.inv ? 'over ' : ''}${o.val}`;
    case 'reject': {
      if (!o || o.type === undefined) return 'reject';
      if (o.type === 'tcp reset') return 'reject with tcp reset';
      return `reject with ${o.type}${o.expr !== undefined ? ` ${exprText(o.expr)}` : ''}`;
    }
    case 'snat': case 'dnat': case 'masquerade': case 'redirect': {
      const p: string[] = [k];
      if (o?.family) p.push(o.family);
      // nft 1.0.6 -j writes `snat ip prefix to ...` as "type_flags": "prefix" with "flags": "netmap"
      // (the flag the prefix keyword sets): the text form is the keyword alone
      const tf = o?.type_flags === undefined ? [] : Array.isArray(o.type_flags) ? o.type_flags : [o.type_flags];
      const prefix = o?.type === 'prefix' || tf.includes('prefix');
      if (prefix) p.push('prefix');
      if (o?.addr !== undefined || o?.port !== undefined) {
        let a = o.addr !== undefined ? exprText(o.addr) : '';
        const first = o.addr && typeof o.addr === 'object' && 'range' in o.addr ? o.addr.range[0] : o.addr;
        const isV6 = typeof first === 'string' && first.includes(':');
        if (o.port !== undefined) {
          // [v6]:port, [lo]-[hi]:port as nft writes them
          if (isV6) a = o.addr && typeof o.addr === 'object' && 'range' in o.addr ? `[${o.addr.range[0]}]-[${o.addr.range[1]}]` : `[${a}]`;
          const port = o.port && typeof o.port === 'object' && !('range' in o.port) ? exprText(o.port) : exprText(o.port);
          a = `${a}:${port}`;
        }
        p.push('to', a);
      }
      const flags = (o?.flags === undefined ? [] : Array.isArray(o.flags) ? o.flags : [o.flags]).filter((f: string) => !(prefix && f === 'netmap'));
      if (flags.length) p.push(flags.join(','));
      return p.join(' ');
    }
    case 'mangle': return `${exprText(o.key)} set ${exprText(o.value)}`;
    case 'vmap': return `${exprText(o.key)} vmap ${exprText(o.data)}`;
    case 'fwd':
      if (o.addr !== undefined) return `fwd ${o.family ? `${o.family} ` : ''}to ${exprText(o.addr)} device ${exprText(o.dev)}`;
      return `fwd to ${typeof o.dev === 'string' ? JSON.stringify(o.dev) : exprText(o.dev)}`;
    case 'dup':
      if (o.addr === undefined) return `dup to ${typeof o.dev === 'string' ? JSON.stringify(o.dev) : exprText(o.dev)}`;
      return `dup to ${exprText(o.addr)}${o.dev !== undefined ? ` device ${typeof o.dev === 'string' ? JSON.stringify(o.dev) : exprText(o.dev)}` : ''}`;
    case 'flow': return `flow ${o.op} ${o.flowtable}`;
    case 'queue': {
      const p = ['queue'];
      const flags = o?.flags === undefined ? [] : Array.isArray(o.flags) ? o.flags : [o.flags];
      if (flags.length) p.push('flags', flags.join(','));
      if (o?.num !== undefined) p.push('to', exprText(o.num));
      return p.join(' ');
    }
    case 'set': case 'map': {
      // dynamic set/map updates: add|update|delete @s { key [timeout T] [stmt] [: data] }
      const stmts = (o.stmt ?? []).map(stmtText).join(' ');
      const data = k === 'map' ? ` : ${exprText(o.data)}` : '';
      return `${o.op} ${o[k]} { ${exprText(o.elem)}${stmts ? ` ${stmts}` : ''}${data} }`;
    }
    case 'meter': {
      const stmts = (Array.isArray(o.stmt) ? o.stmt : [o.stmt]).map(stmtText).join(' ');
      return `meter ${o.name}${o.size ? ` size ${o.size}` : ''} { ${exprText(o.key)} ${stmts} }`;
    }
    case 'ct helper': return `ct helper set ${exprText(o)}`;
    case 'ct timeout': return `ct timeout set ${exprText(o)}`;
    case 'ct expectation': return `ct expectation set ${exprText(o)}`;
    case 'synproxy': {
      // {"synproxy": {"mss": 1460, "wscale": 7, "flags": ["timestamp", "sack-perm"]}} (nft's synproxy_stmt_json)
      const p = ['synproxy'];
      if (o?.mss !== undefined) p.push(`mss ${o.mss}`);
      if (o?.wscale !== undefined) p.push(`wscale ${o.wscale}`);
      if (o?.flags !== undefined) p.push(...(Array.isArray(o.flags) ? o.flags : [o.flags]));
      return p.join(' ');
    }
    case 'secmark': return `meta secmark set ${exprText(o)}`;
    case 'tproxy': {
      let a = o.addr !== undefined ? exprText(o.addr) : '';
      if (o.port !== undefined) a = `${o.addr !== undefined && String(o.addr).includes(':') ? `[${a}]` : a}:${o.port}`;
      return `tproxy ${o.family ? `${o.family} ` : ''}to ${a}`;
    }
    case 'xt': return `xt ${o?.type ?? ''} ${o?.name ?? ''}`.trim();
    default: throw new Error(`unknown statement '${k}'`);
  }
}

/** a whole rule's statements in nft's text syntax */
export function ruleText(exprs: J[]): string {
  return exprs.map(stmtText).join(' ');
}
