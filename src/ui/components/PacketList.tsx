// The virtualised packet list: only the visible window of rows is turned into elements.
import React from 'react';
import { Box } from 'ink';
import { Lines } from './Lines.js';
import type { FilteredView } from '../filter.js';
import { cell, cut, FATE_COLOR, fmtTime, type TimeMode } from '../format.js';
import type { RowStore } from '../store.js';

export interface Columns {
  no: number;
  time: number;
  iface: number;
  fate: number;
  reason: number;
  summary: number;
}

/** column widths for a terminal width; the summary gets what is left (at least 16) */
export function columns(width: number, s: RowStore, timeMode: TimeMode): Columns {
  const no = Math.max(5, String(s.count ? s.frameNo[s.count - 1] : 0).length);
  const time = timeMode === 'absolute' ? 15 : 11;
  const iface = Math.min(10, Math.max(5, ...s.ifaces.map((x) => x.length)));
  const fate = 9;
  const reason = Math.min(width >= 120 ? 28 : width >= 100 ? 22 : 16, Math.max(6, ...s.reasons.map((x) => x.length)));
  const used = no + time + iface + fate + reason + 5;
  return { no, time, iface, fate, reason, summary: Math.max(16, width - used) };
}

export function headerText(c: Columns): string {
  return [cell('No.', c.no, true), cell(' Time', c.time), cell('If', c.iface), cell('Fate', c.fate), cell('Reason', c.reason), 'Summary'].join(' ');
}

interface Props {
  store: RowStore;
  view: FilteredView | null;
  top: number;
  sel: number;
  height: number;
  width: number;
  timeMode: TimeMode;
  color: boolean;
}

const SGR: Record<string, [string, string]> = {
  green: ['\x1b[32m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
  blue: ['\x1b[34m', '\x1b[39m'],
  magenta: ['\x1b[35m', '\x1b[39m'],
  gray: ['\x1b[90m', '\x1b[39m'],
  red: ['\x1b[31m', '\x1b[39m'],
};

/**
 * The visible rows as ONE ink text node with the styles written in as SGR codes: a node per
 * row (and per coloured cell) made every redraw pay ink's layout and measuring per node.
 */
export function PacketList({ store, view, top, sel, height, width, timeMode, color }: Props): React.ReactElement {
  const c = columns(width, store, timeMode);
  const len = view ? view.length : store.count;
  const rows: string[] = [];
  for (let k = 0; k < height; k++) {
    const pos = top + k;
    if (pos >= len) break;
    const i = view ? view.idx[pos] : pos;
    const fate = store.fateName(i);
    const sgr = color ? SGR[FATE_COLOR[fate]] : undefined;
    let f = cell(fate, c.fate);
    if (fate === 'dropped') f = `\x1b[1m${f}\x1b[22m`;
    if (sgr) f = sgr[0] + f + sgr[1];
    const lead = `${cell(String(store.frameNo[i]), c.no, true)} ${cell(fmtTime(store, i, timeMode), c.time, true)} ${cell(store.ifaceName(i), c.iface)} `;
    // the last column is cut but not padded: fewer characters for ink to lay out per redraw
    // a result that rests on something the model does not support is marked, never silent
    const unsup = store.unsup[i] ? '⚠ ' : '';
    // an outbound copy (tcpdump -i any) names the frame it is the copy of
    const why = store.reasonName(i) || (store.copyOf[i] ? `copy of ${store.copyOf[i]}` : unsup ? 'unsupported' : '');
    const tail = ` ${cell(unsup + why, c.reason)} ${cut(store.summary(i), c.summary)}`;
    const line = lead + f + tail;
    rows.push(pos === sel ? `\x1b[7m${line}\x1b[27m` : line);
  }
  if (!rows.length) rows.push(view ? '  (no frame matches the filter yet)' : '  (no frames yet)');
  return (
    <Box flexDirection="column" height={height}>
      <Lines lines={rows} />
    </Box>
  );
}
