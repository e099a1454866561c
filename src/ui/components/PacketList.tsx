// The virtualised packet list: only the visible window of rows is turned into elements.
import React from 'react';
import { Box, Text } from 'ink';
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

export function PacketList({ store, view, top, sel, height, width, timeMode, color }: Props): React.ReactElement {
  const c = columns(width, store, timeMode);
  const len = view ? view.length : store.count;
  const rows: React.ReactElement[] = [];
  for (let k = 0; k < height; k++) {
    const pos = top + k;
    if (pos >= len) break;
    const i = view ? view.idx[pos] : pos;
    const fate = store.fateName(i);
    const selected = pos === sel;
    const fc = color ? FATE_COLOR[fate] : undefined;
    const lead = `${cell(String(store.frameNo[i]), c.no, true)} ${cell(fmtTime(store, i, timeMode), c.time, true)} ${cell(store.ifaceName(i), c.iface)} `;
    // the last column is cut but not padded: fewer characters for ink to lay out per redraw
    const tail = ` ${cell(store.reasonName(i), c.reason)} ${cut(store.summary(i), c.summary)}`;
    rows.push(
      <Text key={k} inverse={selected} wrap="truncate-end">
        {lead}
        <Text color={fc} bold={fate === 'dropped'}>{cell(fate, c.fate)}</Text>
        {tail}
      </Text>,
    );
  }
  if (!rows.length) rows.push(<Text key="e" dimColor={color}>{view ? '  (no frame matches the filter yet)' : '  (no frames yet)'}</Text>);
  return (
    <Box flexDirection="column" height={height}>
      {rows}
    </Box>
  );
}
