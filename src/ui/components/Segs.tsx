// Lines of coloured segments turned into one string with SGR codes, cut to the width (colours
// dropped under NO_COLOR; bold, dim and reverse kept). A screen section is then ONE ink text
// node: a node per segment made each redraw pay ink's layout and measuring per node.
import React from 'react';
import { Lines } from './Lines.js';
import type { Line } from '../detail.js';

const FG: Record<string, number> = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90 };

export function segsToAnsi(line: Line, width: number, color: boolean): string {
  let left = width;
  let out = '';
  for (const s of line) {
    if (left <= 0) break;
    let t = s.t;
    if (t.length > left) t = left > 1 ? t.slice(0, left - 1) + '…' : '…';
    left -= t.length;
    const codes: number[] = [];
    if (color && s.color && FG[s.color]) codes.push(FG[s.color]);
    if (s.bold) codes.push(1);
    if (s.dim && color) codes.push(2);
    if (s.inverse) codes.push(7);
    out += codes.length ? `\x1b[${codes.join(';')}m${t}\x1b[0m` : t;
  }
  return out;
}

/** several lines as one text node */
export function SegBlock({ lines, width, color }: { lines: Line[]; width: number; color: boolean }): React.ReactElement {
  return <Lines lines={lines.map((l) => segsToAnsi(l, width, color))} />;
}
