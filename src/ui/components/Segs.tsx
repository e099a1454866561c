// One terminal line from coloured segments, cut to the width (colours dropped under NO_COLOR).
import React from 'react';
import { Text } from 'ink';
import type { Line } from '../detail.js';

export function SegLine({ line, width, color }: { line: Line; width: number; color: boolean }): React.ReactElement {
  let left = width;
  const parts: React.ReactElement[] = [];
  line.forEach((s, k) => {
    if (left <= 0) return;
    let t = s.t;
    if (t.length > left) t = left > 1 ? t.slice(0, left - 1) + '…' : '…';
    left -= t.length;
    parts.push(
      <Text key={k} color={color ? s.color : undefined} bold={s.bold} dimColor={color ? s.dim : undefined} inverse={s.inverse}>
        {t}
      </Text>,
    );
  });
  return <Text wrap="truncate-end">{parts.length ? parts : ' '}</Text>;
}
