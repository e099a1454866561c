// The --where expression of `--write-pcap`: terms ANDed, separated by spaces, commas or "and".
//   key=v1|v2   any of the values       key!=v   none of them
// keys: fate, reason, iface (ingress), egress, socket, rule (text of a deciding rule), fn (a
// kernel function on the journey), text (the tcpdump summary), copy (the frame an outbound copy
// is the copy of). Values compare case-insensitively;
// rule, fn and text match substrings.
import type { ReplayItem } from '../replay-types.js';

export type ItemPred = (it: ReplayItem) => boolean;

const KEYS = ['fate', 'reason', 'iface', 'egress', 'socket', 'rule', 'fn', 'text', 'copy'] as const;
type Key = (typeof KEYS)[number];

function field(it: ReplayItem, k: Key): string[] {
  const r = it.record;
  switch (k) {
    case 'fate': return [r.fate];
    case 'reason': return r.reason ? [r.reason] : [];
    case 'iface': return it.iface ? [it.iface] : [];
    case 'egress': return r.egress ?? [];
    case 'socket': return r.socket ? [r.socket] : [];
    case 'rule': return (r.verdicts ?? []).map((v) => `${v.family} ${v.table} ${v.chain} ${v.verdict} ${v.rule ?? 'policy'} ${v.source ?? ''}`);
    case 'fn': return r.events.map((e) => e.fn);
    case 'text': return [it.summary];
    case 'copy': return r.copy_of !== undefined ? [String(r.copy_of)] : [];
  }
}

const SUBSTRING: ReadonlySet<Key> = new Set(['rule', 'fn', 'text']);

export function parseWhere(expr: string): ItemPred {
  const terms = expr.split(/[\s,]+|\band\b/i).filter((t) => t !== '');
  if (!terms.length) throw new Error(`--where: empty expression`);
  const preds: ItemPred[] = terms.map((t) => {
    const m = /^([a-z]+)(!=|=)(.+)$/i.exec(t);
    if (!m) throw new Error(`--where: "${t}" is not key=value or key!=value (keys: ${KEYS.join(', ')})`);
    const key = m[1]!.toLowerCase() as Key;
    if (!KEYS.includes(key)) throw new Error(`--where: unknown key "${m[1]}" (keys: ${KEYS.join(', ')})`);
    const wanted = m[3]!.split('|').map((v) => v.toLowerCase());
    const neg = m[2] === '!=';
    const sub = SUBSTRING.has(key);
    return (it) => {
      const have = field(it, key).map((v) => v.toLowerCase());
      const hit = wanted.some((w) => have.some((h) => (sub ? h.includes(w) : h === w)));
      return neg ? !hit : hit;
    };
  });
  return (it) => preds.every((p) => p(it));
}
