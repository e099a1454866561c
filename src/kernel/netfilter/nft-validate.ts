// The kernel's validation of a table's chains at commit (nf_tables_api.c nft_table_validate ->
// nft_chain_validate): each base chain's rules, and through jump/goto the rules of the chains
// they reach, are checked against the base chain's hook (ctx->chain stays the base chain while
// nft_immediate_validate follows a jump). Of the expressions' validate functions this models
// nft_fib_validate, the one nft itself does not check: a rule it refuses fails the load with
// EOPNOTSUPP ("Could not process rule: Operation not supported"), which nft reports at the rule
// of the base chain whose validation failed (measured with nft 1.0.6 on Linux 6.18: the fib rule
// itself, or the `jump` that reaches it).

import type { IrRule, IrTable, Load } from './ir.js';
import type { At } from './nft-eval.js';

/** enum nf_inet_hooks (NF_INET_INGRESS 5 for inet's ingress), enum nf_dev_hooks for netdev */
const HOOKNUM: Record<string, number> = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4, ingress: 5 };
const NETDEV_HOOKNUM: Record<string, number> = { ingress: 0, egress: 1 };
const PRE = 1 << 0, IN = 1 << 1, FWD = 1 << 2, OUT = 1 << 3, POST = 1 << 4;

/** nft_fib_validate: the hooks a fib expression may run at. Measured on Linux 6.18 (every result x
 *  flag x hook, fixtures/rulesets/evidence/nft-fib-hooks.txt): an oif/oifname result may run at
 *  prerouting, input and forward with or without iif (older sources allowed input and forward only
 *  with iif); a type result with iif where the input device is known, with oif where the output is */
export function fibHooks(load: Extract<Load, { k: 'fib' }>): number {
  const iif = load.flags.includes('iif'), oif = load.flags.includes('oif');
  if (load.result === 'oif' || load.result === 'oifname') return PRE | IN | FWD;
  if (iif) return PRE | IN | FWD;
  if (oif) return OUT | POST | FWD;
  return IN | OUT | FWD | PRE | POST;
}

/** every fib load in a rule's expressions (any depth: matches, lookups, maps, concatenations) */
function fibLoads(x: unknown, out: Extract<Load, { k: 'fib' }>[]): void {
  if (Array.isArray(x)) for (const v of x) fibLoads(v, out);
  else if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (o.k === 'fib' && Array.isArray(o.flags)) out.push(o as Extract<Load, { k: 'fib' }>);
    for (const v of Object.values(o)) if (v !== null && typeof v === 'object') fibLoads(v, out);
  }
}

/** the chains a rule jumps or goes to (verdicts, verdict maps, chain bindings) */
function jumpTargets(x: unknown, out: Set<string>): void {
  if (Array.isArray(x)) for (const v of x) jumpTargets(v, out);
  else if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if ((o.v === 'jump' || o.v === 'goto') && typeof o.chain === 'string') out.add(o.chain);
    for (const v of Object.values(o)) if (v !== null && typeof v === 'object') jumpTargets(v, out);
  }
}

/**
 * nft_table_validate for the fib expressions of `tb`'s rules (ip, ip6, inet, netdev tables):
 * throws through `refuse` at the base chain's rule that fails. `anchor` gives a rule's position
 * (its first token, or the `add rule` command's).
 */
export function validateFibHooks(tb: IrTable, anchor: (r: IrRule) => At | undefined, refuse: (at: At, problem: string) => never): void {
  if (tb.family !== 'ip' && tb.family !== 'ip6' && tb.family !== 'inet' && tb.family !== 'netdev') return;
  const chains = new Map(tb.chains.map((c) => [c.name, c]));
  // per chain: the hooks every fib in it and in the chains it reaches allows (all bits: no fib)
  const allowed = new Map<string, number>();
  const reach = (name: string, depth: number): number => {
    const known = allowed.get(name);
    if (known !== undefined) return known;
    const ch = chains.get(name);
    allowed.set(name, 0x1f); // a loop (refused elsewhere) ends here
    let mask = 0x1f;
    if (ch && depth < 64) for (const r of ch.rules) mask &= ruleMask(r, depth);
    allowed.set(name, mask);
    return mask;
  };
  const ruleMask = (r: IrRule, depth: number): number => {
    const fibs: Extract<Load, { k: 'fib' }>[] = [];
    fibLoads(r.exprs, fibs);
    let mask = 0x1f;
    for (const f of fibs) mask &= fibHooks(f);
    const targets = new Set<string>();
    jumpTargets(r.exprs, targets);
    for (const t of targets) mask &= reach(t, depth + 1);
    return mask;
  };
  for (const ch of tb.chains) {
    const hook = ch.base ? (tb.family === 'netdev' ? NETDEV_HOOKNUM : HOOKNUM)[ch.base.hook] : undefined;
    if (hook === undefined) continue;
    for (const r of ch.rules) {
      if ((ruleMask(r, 0) & (1 << hook)) !== 0) continue;
      const at = anchor(r) ?? { file: r.src.file, line: r.src.line, col: 1 };
      refuse(at, 'Could not process rule: Operation not supported');
    }
  }
}
