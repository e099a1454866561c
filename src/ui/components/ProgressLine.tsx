// Title and replay progress: frames, MB/s, ETA, and a bar when the capture size is known.
import React from 'react';
import { Text } from 'ink';
import { fmtBytes, fmtCount, fmtDuration } from '../format.js';
import type { Progress } from '../pump.js';

export function ProgressLine({ title, p, width, color }: { title: string; p: Progress; width: number; color: boolean }): React.ReactElement {
  const stats = `${fmtCount(p.frames)} frames`;
  if (p.done) {
    return (
      <Text wrap="truncate-end">
        <Text bold>pktlife</Text> {title}  {stats}
        {p.error ? <Text color={color ? 'red' : undefined}>  capture error: {p.error}</Text> : <Text dimColor={color}>  replay complete</Text>}
      </Text>
    );
  }
  const rate = `${(p.rate / 1e6).toFixed(1)} MB/s`;
  const frac = p.total > 0 ? Math.min(1, p.bytes / p.total) : 0;
  const barW = Math.max(10, Math.min(30, width - title.length - 60));
  const fill = Math.round(frac * barW);
  const bar = p.total > 0 ? `[${'█'.repeat(fill)}${'░'.repeat(barW - fill)}] ${Math.floor(frac * 100)}%  ` : '';
  const eta = p.total > 0 ? `  ETA ${fmtDuration(p.eta)}` : `  ${fmtBytes(p.bytes)} read`;
  return (
    <Text wrap="truncate-end">
      <Text bold>pktlife</Text> {title}  <Text color={color ? 'yellow' : undefined}>replaying {bar}</Text>
      {stats}  {rate}
      {eta}
    </Text>
  );
}
