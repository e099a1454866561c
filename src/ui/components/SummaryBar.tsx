// Counts per fate, the commonest drop reasons and the rules with the most hits.
import React from 'react';
import { Box, Text } from 'ink';
import { FATE_COLOR, fmtCount } from '../format.js';
import { FATES, FATE_OTHER, type RowStore } from '../store.js';

const top = (m: Map<string, number>, n: number): [string, number][] =>
  [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);

export function SummaryBar({ store, width, color, lines }: { store: RowStore; width: number; color: boolean; lines: number }): React.ReactElement {
  const fates = FATES.map((f, k) => (
    <Text key={f} color={color ? FATE_COLOR[f] : undefined}>
      {f} {fmtCount(store.fateCounts[k])}
      {'  '}
    </Text>
  ));
  if (store.fateCounts[FATE_OTHER]) fates.push(<Text key="o">other {fmtCount(store.fateCounts[FATE_OTHER])}  </Text>);
  if (store.unsupportedCount)
    fates.push(
      <Text key="u" color={color ? 'magenta' : undefined} bold>
        ⚠ unsupported {fmtCount(store.unsupportedCount)}
      </Text>,
    );
  const reasons = top(store.reasonCounts, 6).map(([r, n]) => `${r} ${fmtCount(n)}`).join('  ');
  const rules = top(store.ruleHits, 3).map(([r, n]) => `${fmtCount(n)}× ${r}`).join('  │  ');
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">{fates}</Text>
      {lines > 1 && (
        <Text wrap="truncate-end">
          <Text bold>drops: </Text>
          <Text color={color ? 'red' : undefined}>{reasons || '—'}</Text>
        </Text>
      )}
      {lines > 2 && (
        <Text wrap="truncate-end">
          <Text bold>top rules: </Text>
          {rules || '—'}
        </Text>
      )}
    </Box>
  );
}
