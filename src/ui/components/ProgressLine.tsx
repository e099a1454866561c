// Title and replay progress: frames, MB/s, ETA, and a bar when the capture size is known.
import type { Line } from '../detail.js';
import { fmtBytes, fmtCount, fmtDuration } from '../format.js';
import type { Progress } from '../pump.js';

export function progressLine(title: string, p: Progress, width: number): Line {
  const stats = `${fmtCount(p.frames)} frames`;
  const head = [{ t: 'pktlife', bold: true }, { t: ` ${title}  ${stats}` }];
  if (p.done) {
    return [...head, p.error ? { t: `  capture error: ${p.error}`, color: 'red' } : { t: '  replay complete', dim: true }];
  }
  const rate = `${(p.rate / 1e6).toFixed(1)} MB/s`;
  const frac = p.total > 0 ? Math.min(1, p.bytes / p.total) : 0;
  const barW = Math.max(10, Math.min(30, width - title.length - 60));
  const fill = Math.round(frac * barW);
  const bar = p.total > 0 ? `[${'█'.repeat(fill)}${'░'.repeat(barW - fill)}] ${Math.floor(frac * 100)}%  ` : '';
  const eta = p.total > 0 ? `  ETA ${fmtDuration(p.eta)}` : `  ${fmtBytes(p.bytes)} read`;
  return [{ t: 'pktlife', bold: true }, { t: ` ${title}  ` }, { t: `replaying ${bar}`, color: 'yellow' }, { t: `${stats}  ${rate}${eta}` }];
}
