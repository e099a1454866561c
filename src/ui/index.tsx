// Entry point of the interactive timeline: `runTimelineUI(source)` takes over the terminal
// (alternate screen), replays the source in slices and returns when the user quits.
import type { ReplaySource } from '../replay-types.js';
import { ReplayPump, type TimelinePump } from './pump.js';
import { RowStore } from './store.js';
import { WorkerPump, type BatchFeed } from './worker-pump.js';
import { cell, fmtTime } from './format.js';

export { RowStore } from './store.js';
export { ReplayPump } from './pump.js';
export { parseFilter, FilteredView } from './filter.js';
export { arraySource, ndjsonSource } from './sources.js';

/** NO_COLOR (https://no-color.org: present and not empty) and TERM=dumb turn colours off */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/**
 * ink's render options (shared with the bench). ink throttles drawing to maxFps with a debounce:
 * a key drawn less than 1000/maxFps ms after the previous frame (a progress redraw) waited for
 * the trailing edge, up to 17 ms at 60. The App already bounds its own redraws (one per key or
 * burst of keys, progress every 250 ms), so the throttle only added latency: 1 ms.
 * Not incrementalRendering: in ink 6.8 it left a stale line on screen when the detail scrolled
 * (tmux, 100x40, Enter then G on the NAT scenario: a "── Conntrack" line stayed where a blank
 * line belonged); a full rewrite per frame costs little next to ink's layout and drawing.
 */
export const INK_OPTIONS = { exitOnCtrlC: true, patchConsole: false, maxFps: 1000 } as const;

const ALT_ON = '\x1b[?1049h\x1b[H';
const ALT_OFF = '\x1b[?1049l';

export interface TimelineOptions {
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** the rows come from a replay worker (src/cli/ui-worker.ts) instead of `source` */
  feed?: BatchFeed;
}

export async function runTimelineUI(source: ReplaySource, opts: TimelineOptions = {}): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  const store = new RowStore();
  const pump: TimelinePump = opts.feed ? new WorkerPump(opts.feed, store) : new ReplayPump(source, store);
  if (!stdout.isTTY || !stdin.isTTY) return printPlain(pump, stdout);

  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    stdout.write(ALT_OFF + '\x1b[?25h');
  };
  // React's development build is several times slower per redraw; it is chosen when react is
  // first loaded, so ink and the App are imported only now
  process.env.NODE_ENV ??= 'production';
  // ink (is-in-ci) draws nothing until exit when CI/CONTINUOUS_INTEGRATION is set, read once as
  // it loads; we only get here on a real terminal, so the interactive screen is what is wanted
  // (a shell in a CI image or a dev container often exports CI=true)
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) if (k in process.env) process.env[k] = '0';
  const [{ default: React }, { render }, { App }] = await Promise.all([import('react'), import('ink'), import('./App.js')]);
  // the terminal going away (tmux kill, ssh drop) makes writes fail with EIO: leave quietly
  // instead of crashing on an unhandled stream error; SIGTERM still gives the screen back
  const onOutErr = (e: NodeJS.ErrnoException): void => {
    if (e.code === 'EIO' || e.code === 'EPIPE') process.exit(129);
    throw e;
  };
  // on a hangup Node itself may still abort in ResetStdio at exit (it cannot reset a tty that
  // is gone: nodejs/node#42433, #51519); nothing is left on screen to see it
  const onHup = (): void => process.exit(129);
  const onTerm = (): void => {
    restore();
    process.exit(143);
  };
  stdout.on('error', onOutErr);
  process.once('SIGHUP', onHup);
  process.once('SIGTERM', onTerm);
  stdout.write(ALT_ON);
  process.once('exit', restore);
  try {
    const app = render(React.createElement(App, { pump, color: colorEnabled() }), { stdout, stdin, ...INK_OPTIONS });
    await app.waitUntilExit();
  } finally {
    restore();
    process.off('exit', restore);
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', onTerm);
    stdout.off('error', onOutErr);
    if (!pump.done) pump.close();
  }
  if (pump.error) process.stderr.write(`pktlife: ${pump.error}\n`);
}

/** Not a terminal: one plain line per frame, no colours, no cursor movement. */
async function printPlain(pump: TimelinePump, out: NodeJS.WritableStream): Promise<void> {
  const s = pump.store;
  let printed = 0;
  while (!pump.done) {
    pump.step(50);
    // a live stream or a worker with nothing new in yet: let it come
    if (pump.waiting) await new Promise((r) => setTimeout(r, 15));
    let buf = '';
    for (; printed < s.count; printed++) {
      const i = printed;
      const reason = s.reasonName(i);
      buf += `${cell(String(s.frameNo[i]), 6, true)} ${cell(fmtTime(s, i, 'relative'), 11, true)} ${cell(s.ifaceName(i) || '-', 8)} ${s.fateName(i)}${reason ? ` ${reason}` : ''}  ${s.summary(i)}\n`;
    }
    out.write(buf);
  }
  if (pump.error) process.stderr.write(`pktlife: ${pump.error}\n`);
}
