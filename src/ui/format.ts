// Text helpers shared by the components: fixed-width cells, timestamps, fate colours.
import type { RowStore } from './store.js';

/** pad or cut to exactly w columns (… marks a cut) */
export function cell(s: string, w: number, right = false): string {
  if (w <= 0) return '';
  if (s.length > w) return w === 1 ? '…' : s.slice(0, w - 1) + '…';
  return right ? s.padStart(w) : s.padEnd(w);
}

/** cut to at most w columns (… marks a cut), no padding */
export function cut(s: string, w: number): string {
  return s.length > w ? cell(s, w) : s;
}

export type TimeMode = 'relative' | 'absolute';

/** relative: seconds since the first frame, µs precision; absolute: UTC time of day */
export function fmtTime(s: RowStore, i: number, mode: TimeMode): string {
  const sec = s.tsSec[i];
  const ns = s.tsNsec[i];
  if (mode === 'absolute') {
    // time of day by arithmetic: a pcapng timestamp may lie beyond the range Date accepts
    const day = ((sec % 86400) + 86400) % 86400;
    const hh = String(Math.floor(day / 3600)).padStart(2, '0');
    const mm = String(Math.floor(day / 60) % 60).padStart(2, '0');
    const ss = String(day % 60).padStart(2, '0');
    return `${hh}:${mm}:${ss}.${String(Math.floor(ns / 1000)).padStart(6, '0')}`;
  }
  const r = relMicros(s, i);
  const neg = r < 0;
  const a = Math.abs(r);
  return `${neg ? '-' : ''}${Math.floor(a / 1e6)}.${String(a % 1e6).padStart(6, '0')}`;
}

/** µs since the first frame, computed on integers so it does not drift for late frames */
function relMicros(s: RowStore, i: number): number {
  return (s.tsSec[i] - s.tsSec[0]) * 1e6 + Math.floor(s.tsNsec[i] / 1000) - Math.floor(s.tsNsec[0] / 1000);
}

export function fmtDate(sec: number, nsec: number): string {
  const t = new Date(sec * 1000);
  // beyond Date's range (±8.64e12 s; a 64-bit pcapng timestamp reaches 1.8e13 s) toISOString throws
  if (Number.isNaN(t.getTime())) return `${sec}.${String(nsec).padStart(9, '0')} s after 1970-01-01 UTC`;
  const d = t.toISOString().slice(0, 19).replace('T', ' ');
  return `${d}.${String(nsec).padStart(9, '0')} UTC`;
}

export const FATE_COLOR: Record<string, string> = {
  delivered: 'green',
  forwarded: 'cyan',
  bridged: 'blue',
  sent: 'magenta',
  consumed: 'gray',
  dropped: 'red',
};

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export function fmtDuration(sec: number): string {
  if (!isFinite(sec) || sec < 0) return '?';
  if (sec < 60) return `${Math.ceil(sec)}s`;
  const m = Math.floor(sec / 60);
  return m < 60 ? `${m}m${String(Math.floor(sec % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
