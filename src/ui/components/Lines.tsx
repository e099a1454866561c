// A block of pre-drawn lines (SGR codes included) as one ink node whose layout never changes.
//
// ink measures a text node's content with string-width on every commit that changed it (Yoga's
// measure callback: ANSI stripped, graphemes segmented), then draws it. The node here holds a
// constant placeholder of `lines.length` one-space lines, so Yoga has nothing to re-measure when
// the rows change; <Transform> (ink's hook on each output line before it is drawn) puts the
// real line in its place. Measured: ~4-5 ms less per 120x40 frame (see docs/ui.md).
import React from 'react';
import { Transform } from 'ink';

const placeholders = new Map<number, string>();
function placeholder(n: number): string {
  let p = placeholders.get(n);
  if (p === undefined) {
    p = Array.from({ length: n }, () => ' ').join('\n');
    placeholders.set(n, p);
  }
  return p;
}

/** `lines` must each fit the width: nothing wraps them */
export function Lines({ lines }: { lines: string[] }): React.ReactElement {
  return <Transform transform={(_, k) => lines[k] ?? ''}>{placeholder(Math.max(1, lines.length))}</Transform>;
}
