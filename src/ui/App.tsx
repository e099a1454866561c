// The timeline application: list, detail, help and filter prompt over a RowStore that the
// pump fills in slices. React state holds only the cursor and the mode; rows stay outside.
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { buildDetail, type Line } from './detail.js';
import { CtIndex } from './conntrack.js';
import { FilteredView, FilterError, parseFilter } from './filter.js';
import { headerText, columns, PacketList } from './components/PacketList.js';
import { summaryLines } from './components/SummaryBar.js';
import { progressLine } from './components/ProgressLine.js';
import { Help } from './components/Help.js';
import { SegBlock } from './components/Segs.js';
import type { TimeMode } from './format.js';
import type { TimelinePump } from './pump.js';
import { lowerBound, RowStore } from './store.js';
import { buildFlows, conntrackTable, flowLine, type Flow } from './flows.js';


export interface AppProps {
  pump: TimelinePump;
  /** colours on (off under NO_COLOR) */
  color: boolean;
  /** fixed size (tests); otherwise the terminal's, following resizes */
  width?: number;
  height?: number;
  /** ms of replay per slice */
  sliceMs?: number;
  /** called after each keypress has been handled (bench) */
  onKeyDone?: (input: string) => void;
}

type Mode = 'list' | 'detail' | 'help' | 'filter' | 'flows' | 'ct';

/** progress redraws while replaying: each is a full ink frame a key may have to wait behind */
const PROGRESS_MS = 400;

interface UiState {
  mode: Mode;
  /** selected position in the (filtered) list, first visible position, detail scroll */
  sel: number;
  top: number;
  scroll: number;
  timeMode: TimeMode;
  view: FilteredView | null;
  prompt: string;
  promptErr: string | null;
  msg: string | null;
  /** selected line in the flows / conntrack view */
  fsel: number;
}

type Key = Parameters<Parameters<typeof useInput>[0]>[1];
const NO_KEY = {} as Key;
const RETURN = { return: true } as Key;
const BACKSPACE = { backspace: true } as Key;

/** the smallest terminal the timeline draws in (header, summary, a few rows, status line) */
export const MIN_COLS = 60;
export const MIN_ROWS = 10;

function useTermSize(fixedW?: number, fixedH?: number): [number, number] {
  const { stdout } = useStdout();
  const get = (): [number, number] => [fixedW ?? stdout.columns ?? 80, fixedH ?? stdout.rows ?? 24];
  const [size, setSize] = useState(get);
  useEffect(() => {
    if (fixedW && fixedH) return;
    const on = (): void => setSize(get());
    stdout.on('resize', on);
    return () => {
      stdout.off('resize', on);
    };
  }, [stdout, fixedW, fixedH]);
  return size;
}

export function App({ pump, color, width: fw, height: fh, sliceMs = 2, onKeyDone }: AppProps): React.ReactElement {
  const store: RowStore = pump.store;
  const { exit } = useApp();
  const [W, Hterm] = useTermSize(fw, fh);
  // one line short of the terminal: ink repaints the whole screen when output fills it
  const H = Math.max(6, fh ?? Hterm - 1);
  const [, setVersion] = useState(0);
  const redraw = useCallback(() => setVersion((x) => x + 1), []);
  // cursor, mode and filter live in a ref: a burst of keys (ink may hand over "jjj" or a pasted
  // filter in one event) is applied key by key against the current values, then drawn once
  const ui = useRef<UiState>({ mode: 'list', sel: 0, top: 0, scroll: 0, timeMode: 'relative', view: null, prompt: '', promptErr: null, msg: null, fsel: 0 }).current;
  const { mode, timeMode, view } = ui;

  const sumLines = H >= 20 ? 3 : H >= 14 ? 2 : 1;
  const listH = Math.max(1, H - sumLines - 3);
  const detailH = H - 2;
  const listLen = (): number => (ui.view ? ui.view.length : store.count);

  // replay + filter in slices of a few ms (a key waits for the slice in flight, no longer);
  // redraw every PROGRESS_MS (a frame costs ink ~15 ms at 120x40: more than a slice of
  // replay), at once when the first screen fills
  const scheduled = useRef(false);
  const alive = useRef(true);
  const lastBump = useRef(0);
  const kick = useCallback(() => {
    if (scheduled.current) return;
    scheduled.current = true;
    setImmediate(function loop() {
      scheduled.current = false;
      // unmounted (q, Ctrl-C): stop replaying, so the process can exit at once
      if (!alive.current) return;
      const before = store.count;
      if (!pump.done) pump.step(sliceMs);
      const v = ui.view;
      let caught = true;
      if (v) {
        const t0 = performance.now();
        do caught = v.advance(store, 8192);
        while (!caught && performance.now() - t0 < sliceMs);
      }
      const now = performance.now();
      const firstScreen = before < listH + 1 && store.count >= listH + 1;
      if (firstScreen || now - lastBump.current > PROGRESS_MS || (pump.done && caught)) {
        lastBump.current = now;
        redraw();
      }
      if (!pump.done || !caught) {
        scheduled.current = true;
        // a live stream with nothing new in: look again shortly instead of spinning
        if (pump.waiting && caught) setTimeout(loop, 15);
        else setImmediate(loop);
      }
    });
  }, [pump, store, sliceMs, listH]);
  useEffect(() => {
    alive.current = true;
    kick();
    return () => {
      alive.current = false;
    };
  }, [kick]);

  const rowAt = (pos: number): number => (ui.view ? ui.view.idx[pos] : pos);
  const moveTo = (pos: number): void => {
    const n = Math.max(0, Math.min(listLen() - 1, pos));
    ui.sel = n;
    ui.top = n < ui.top ? n : n >= ui.top + listH ? n - listH + 1 : ui.top;
    ui.scroll = 0;
  };
  const findDrop = (dir: 1 | -1): void => {
    // over the store's list of dropped rows: no scan of the rows in between (1 M rows, no drop)
    const d = store.drops;
    const v = ui.view;
    const len = listLen();
    if (len) {
      const cur = rowAt(Math.min(ui.sel, len - 1));
      for (let k = dir > 0 ? lowerBound(d, cur + 1) : lowerBound(d, cur) - 1; k >= 0 && k < d.length; k += dir) {
        const row = d[k];
        if (!v) return moveTo(row);
        if (row >= v.scanned) break; // not filtered yet
        const p = v.lowerBound(row);
        if (p < v.length && v.idx[p] === row) return moveTo(p);
      }
    }
    ui.msg = dir > 0 ? (pump.done && (!v || v.scanned >= store.count) ? 'no later drop' : 'no later drop yet') : 'no earlier drop';
  };
  const center = (p: number): void => {
    ui.sel = p;
    ui.top = Math.max(0, p - Math.floor(listH / 2));
    ui.scroll = 0;
  };
  const applyFilter = (text: string): boolean => {
    let f;
    try {
      f = parseFilter(text);
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      ui.promptErr = e.message;
      return false;
    }
    const curRow = listLen() ? rowAt(ui.sel) : 0;
    if (!f) {
      ui.view = null;
      center(curRow);
    } else {
      const v = new FilteredView(f);
      v.advance(store, 200_000);
      ui.view = v;
      center(Math.min(v.lowerBound(curRow), Math.max(0, v.length - 1)));
      kick();
    }
    ui.promptErr = null;
    return true;
  };

  const detailFor = useRef<{ row: number; lines: Line[] }>({ row: -1, lines: [] });
  const flowsRef = useRef<Flow[]>([]);
  /** conntrack -L at the selected frame */
  const ctLines = (): string[] => {
    const len = listLen();
    return len ? conntrackTable(store, rowAt(Math.min(ui.sel, len - 1))) : [];
  };
  const ctRef = useRef<CtIndex | null>(null);
  const ctIndex = (ctRef.current ??= new CtIndex());
  const detailLines = (): Line[] => {
    const len = listLen();
    if (!len) return [];
    const row = rowAt(Math.min(ui.sel, len - 1));
    if (detailFor.current.row !== row) detailFor.current = { row, lines: buildDetail(store, row, ctIndex) };
    return detailFor.current.lines;
  };

  const onKey = (input: string, key: Key): void => {
    if (ui.mode === 'help') {
      ui.mode = 'list';
    } else if (ui.mode === 'filter') {
      if (key.escape) ui.mode = 'list';
      else if (key.return) {
        if (applyFilter(ui.prompt)) ui.mode = 'list';
      } else if (key.backspace || key.delete) ui.prompt = ui.prompt.slice(0, -1);
      else if (key.ctrl && input === 'u') ui.prompt = '';
      else if (input && !key.ctrl && !key.meta && input >= ' ') ui.prompt += input;
    } else if (ui.mode === 'flows' || ui.mode === 'ct') {
      // flows (f) and the conntrack table (c): lists of their own; Enter on a flow lists its frames
      const n = ui.mode === 'flows' ? flowsRef.current.length : ctLines().length;
      if (key.escape || key.leftArrow || input === 'h' || key.backspace) ui.mode = 'list';
      else if (input === 'q') exit();
      else if (input === 'j' || key.downArrow) ui.fsel = Math.min(Math.max(0, n - 1), ui.fsel + 1);
      else if (input === 'k' || key.upArrow) ui.fsel = Math.max(0, ui.fsel - 1);
      else if (key.pageDown || input === ' ') ui.fsel = Math.min(Math.max(0, n - 1), ui.fsel + detailH - 2);
      else if (key.pageUp) ui.fsel = Math.max(0, ui.fsel - detailH + 2);
      else if (key.return && ui.mode === 'flows' && n) {
        const f = flowsRef.current[ui.fsel]!;
        const rows = new Set(f.rows);
        const v = new FilteredView({ text: `flow ${f.name}`, pred: (_s, i) => rows.has(i) });
        v.advance(store, 200_000);
        ui.view = v;
        ui.mode = 'list';
        moveTo(0);
        kick();
      }
    } else if (input === 'f') {
      flowsRef.current = buildFlows(store);
      ui.fsel = 0;
      ui.mode = 'flows';
    } else if (input === 'c') {
      ui.fsel = 0;
      ui.mode = 'ct';
    } else if (input === 'q') {
      exit();
    } else if (input === '?') {
      ui.mode = 'help';
    } else if (input === 't') {
      ui.timeMode = ui.timeMode === 'relative' ? 'absolute' : 'relative';
    } else if (input === 'n') findDrop(1);
    else if (input === 'N') findDrop(-1);
    else if (ui.mode === 'detail') {
      const maxS = Math.max(0, detailLines().length - detailH);
      if (key.escape || key.leftArrow || input === 'h' || key.backspace) ui.mode = 'list';
      else if (input === 'j' || key.downArrow) ui.scroll = Math.min(maxS, ui.scroll + 1);
      else if (input === 'k' || key.upArrow) ui.scroll = Math.max(0, ui.scroll - 1);
      else if (key.pageDown || input === ' ') ui.scroll = Math.min(maxS, ui.scroll + detailH - 1);
      else if (key.pageUp) ui.scroll = Math.max(0, ui.scroll - detailH + 1);
      else if (input === 'g' || key.home) ui.scroll = 0;
      else if (input === 'G' || key.end) ui.scroll = maxS;
      else if (input === ']') moveTo(ui.sel + 1);
      else if (input === '[') moveTo(ui.sel - 1);
    } else {
      if (input === 'j' || key.downArrow) moveTo(ui.sel + 1);
      else if (input === 'k' || key.upArrow) moveTo(ui.sel - 1);
      else if (key.pageDown || input === ' ') moveTo(ui.sel + listH);
      else if (key.pageUp) moveTo(ui.sel - listH);
      else if (input === 'g' || key.home) moveTo(0);
      else if (input === 'G' || key.end) moveTo(listLen() - 1);
      else if (key.return && listLen()) ui.mode = 'detail';
      else if (input === '/') {
        ui.prompt = ui.view?.filter.text ?? '';
        ui.promptErr = null;
        ui.mode = 'filter';
      } else if (key.escape && ui.view) applyFilter('');
    }
  };

  useInput((input, key) => {
    ui.msg = null;
    // plain characters may arrive several at once (fast typing, paste, tmux send-keys):
    // apply them one by one, so "jjj" moves three rows and "text\r" types then applies
    if (input.length > 1 && !key.ctrl && !key.meta) {
      for (const ch of input) {
        if (ch === '\r' || ch === '\n') onKey('', RETURN);
        else if (ch === '\x7f' || ch === '\b') onKey('', BACKSPACE);
        else if (ch >= ' ') onKey(ch, NO_KEY);
      }
    } else onKey(input, key);
    // this frame shows the progress too: the next progress-only redraw is due PROGRESS_MS later,
    // so a burst of keys is not interleaved with full frames a key would have to wait behind
    lastBump.current = performance.now();
    redraw();
    onKeyDone?.(input);
  });

  const p = pump.progress();
  // below this the list has no room for its rows: say so instead of drawing a broken screen
  if (W < MIN_COLS || (fh ?? Hterm) < MIN_ROWS) {
    return (
      <Text>{`terminal too small (${W}x${fh ?? Hterm}): the timeline needs at least ${MIN_COLS}x${MIN_ROWS}. Enlarge it, or pipe the output (pktlife replay ... | less) for one line per frame; q quits`}</Text>
    );
  }
  if (mode === 'help') return <Help width={W} height={H} />;

  if (mode === 'flows' || mode === 'ct') {
    const body = mode === 'flows' ? flowsRef.current.map((f) => flowLine(store, f)) : ctLines();
    const len = listLen();
    const title = mode === 'flows'
      ? `Flows: ${body.length} (conntrack's original tuple, or addresses and ports both ways)`
      : `conntrack -L after frame ${len ? store.frameNo[rowAt(Math.min(ui.sel, len - 1))] : 0}: ${body.length} entries (states as the frames left them; timeouts not applied)`;
    const room = detailH - 1;
    const top = Math.max(0, Math.min(ui.fsel - Math.floor(room / 2), body.length - room));
    const lines: Line[] = [[{ t: title, bold: true }]];
    if (!body.length) lines.push([{ t: mode === 'flows' ? '  (no IP frames)' : '  (no connection tracked up to this frame)', dim: true }]);
    body.slice(top, top + room).forEach((t, k) => lines.push([{ t: ` ${t}`, inverse: mode === 'flows' && top + k === ui.fsel }]));
    const footer = ` ${mode === 'flows' ? `${body.length ? ui.fsel + 1 : 0}/${body.length}  Enter its frames  ` : ''}Esc back  j/k move  q quit `;
    return (
      <Box flexDirection="column" width={W} height={H}>
        <SegBlock lines={[progressLine(pump.source.title, p, W)]} width={W} color={color} />
        <Box flexDirection="column" height={detailH}>
          <SegBlock lines={lines} width={W} color={color} />
        </Box>
        <SegBlock lines={[[{ t: footer, inverse: true }]]} width={W} color={color} />
      </Box>
    );
  }

  if (mode === 'detail') {
    const detail = detailLines();
    const maxS = Math.max(0, detail.length - detailH);
    const s = Math.min(ui.scroll, maxS);
    const footer = ` ${ui.msg ?? 'Esc back  j/k scroll  ]/[ next/prev frame  n/N next/prev drop  ? help  q quit'}${detail.length > detailH ? `  (${s + 1}-${Math.min(detail.length, s + detailH)}/${detail.length})` : ''} `;
    return (
      <Box flexDirection="column" width={W} height={H}>
        <SegBlock lines={[progressLine(pump.source.title, p, W)]} width={W} color={color} />
        <Box flexDirection="column" height={detailH}>
          <SegBlock lines={detail.slice(s, s + detailH)} width={W} color={color} />
        </Box>
        <SegBlock lines={[[{ t: footer, inverse: true }]]} width={W} color={color} />
      </Box>
    );
  }

  const c = columns(W, store, timeMode);
  const len = listLen();
  const pos = len ? Math.min(ui.sel, len - 1) : 0;
  const footer: Line =
    mode === 'filter'
      ? [
          { t: '/', bold: true },
          { t: ui.prompt },
          { t: ' ', inverse: true },
          ui.promptErr ? { t: `  ${ui.promptErr}`, color: 'red' } : { t: '  Enter apply  Esc cancel', dim: true },
        ]
      : [
          {
            t: ` ${len ? pos + 1 : 0}/${len}${view ? ` match [${view.filter.text}]${view.scanned < store.count ? ' (filtering…)' : ''}` : ''}  ${ui.msg ?? `Enter journey  / filter  n/N drops  t time:${timeMode === 'relative' ? 'rel' : 'abs'}  ? help  q quit`} `,
            inverse: true,
          },
        ];
  const head: Line[] = [progressLine(pump.source.title, p, W), ...summaryLines(store, sumLines), [{ t: headerText(c), bold: true }]];
  return (
    <Box flexDirection="column" width={W} height={H}>
      <SegBlock lines={head} width={W} color={color} />
      <PacketList store={store} view={view} top={Math.min(ui.top, Math.max(0, len - 1))} sel={pos} height={listH} width={W} timeMode={timeMode} color={color} />
      <SegBlock lines={[footer]} width={W} color={color} />
    </Box>
  );
}
