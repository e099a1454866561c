// Counts per fate, the commonest drop reasons and the rules with the most hits.
import type { Line, Seg } from '../detail.js';
import { FATE_COLOR, fmtCount } from '../format.js';
import { FATES, FATE_OTHER, type RowStore } from '../store.js';

const top = (m: Map<string, number>, n: number): [string, number][] =>
  [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);

export function summaryLines(store: RowStore, lines: number): Line[] {
  const fates: Seg[] = FATES.map((f, k) => ({ t: `${f} ${fmtCount(store.fateCounts[k])}  `, color: FATE_COLOR[f] }));
  if (store.fateCounts[FATE_OTHER]) fates.push({ t: `other ${fmtCount(store.fateCounts[FATE_OTHER])}  ` });
  if (store.unsupportedCount) fates.push({ t: `⚠ unsupported ${fmtCount(store.unsupportedCount)}`, color: 'magenta', bold: true });
  const out: Line[] = [fates];
  if (lines > 1) {
    const reasons = top(store.reasonCounts, 6).map(([r, n]) => `${r} ${fmtCount(n)}`).join('  ');
    out.push([{ t: 'drops: ', bold: true }, { t: reasons || '—', color: 'red' }]);
  }
  if (lines > 2) {
    const rules = top(store.ruleHits, 3).map(([r, n]) => `${fmtCount(n)}× ${r}`).join('  │  ');
    out.push([{ t: 'top rules: ', bold: true }, { t: rules || '—' }]);
  }
  return out;
}
