// `pktlife diff`: replay one capture against two hosts (or two rule sets) and list only the
// frames whose fate, reason, deciding rule or egress differ, grouped by what changed.
import type { ReplayItem } from '../replay-types.js';
import { compareRecords, type FieldChange } from './compare.js';

const DIFF_FIELDS = new Set(['fate', 'reason', 'rule', 'egress']);

export interface DiffGroup {
  /** "fate: delivered -> dropped; reason: - -> NETFILTER_DROP" */
  title: string;
  frames: { frame: number; summary: string; rule?: FieldChange }[];
}

export interface DiffResult {
  frames: number;
  differing: number;
  groups: DiffGroup[];
}

export function diffReplays(a: ReplayItem[], b: ReplayItem[]): DiffResult {
  if (a.length !== b.length) throw new Error(`internal: the two replays gave ${a.length} and ${b.length} frames`);
  const groups = new Map<string, DiffGroup>();
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const changes = compareRecords(a[i]!.record, b[i]!.record).filter((c) => DIFF_FIELDS.has(c.field));
    if (!changes.length) continue;
    differing++;
    // Group by the fate/reason/egress transition; the rule that decided is shown per frame.
    const headline = changes.filter((c) => c.field !== 'rule');
    const title = headline.length
      ? headline.map((c) => `${c.field}: ${c.before} -> ${c.after}`).join('; ')
      : 'same fate, decided by another rule';
    let g = groups.get(title);
    if (!g) groups.set(title, (g = { title, frames: [] }));
    const rule = changes.find((c) => c.field === 'rule');
    g.frames.push(rule ? { frame: a[i]!.frame, summary: a[i]!.summary, rule } : { frame: a[i]!.frame, summary: a[i]!.summary });
  }
  const sorted = [...groups.values()].sort((x, y) => y.frames.length - x.frames.length || (x.title < y.title ? -1 : 1));
  return { frames: a.length, differing, groups: sorted };
}

export function formatDiff(d: DiffResult, labels: [string, string]): string {
  const out: string[] = [`A: ${labels[0]}`, `B: ${labels[1]}`, ''];
  for (const g of d.groups) {
    out.push(`${g.title}  (${g.frames.length} frame${g.frames.length === 1 ? '' : 's'})`);
    for (const f of g.frames) {
      out.push(`  frame ${f.frame}  ${f.summary}`);
      if (f.rule) out.push(`    A: ${f.rule.before}`, `    B: ${f.rule.after}`);
    }
    out.push('');
  }
  out.push(`${d.frames} frames, ${d.differing} differ${d.groups.length ? ` in ${d.groups.length} group${d.groups.length === 1 ? '' : 's'}` : ''}`);
  return out.join('\n') + '\n';
}
