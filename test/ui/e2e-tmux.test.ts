// End to end: the real program in a real terminal (tmux), driven by keys, read back with
// capture-pane: `pktlife replay captures/basic.pcapng --host captures/basic-host`. What the
// screens must show comes from the same command's `--format ndjson` output (the UI has to show
// what the engine decided, whatever that is), and the frame count from tcpdump.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FateRecord } from '../../src/kernel/fate.js';
import { ROOT } from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('test/ui/e2e-tmux: tmux not found — skipping the end-to-end terminal test');

const MAIN = join(ROOT, 'dist/cli/main.js');
const CAPTURE = join(ROOT, 'captures/basic.pcapng');
const HOST = join(ROOT, 'captures/basic-host');
const DEMO = join(ROOT, 'dist/ui/index.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// a private tmux server: other tmux users on the machine (or a parallel run) cannot disturb it
const SOCKET = `pktlife-e2e-${process.pid}`;
const tmux = (...a: string[]) => execFileSync('tmux', ['-L', SOCKET, ...a], { encoding: 'utf8' });

/** dist must be at least as new as src/ui, or the test would drive stale code */
function ensureBuilt(): void {
  const newest = (d: string): number =>
    Math.max(...readdirSync(d, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs)));
  if (existsSync(DEMO) && statSync(DEMO).mtimeMs >= newest(join(ROOT, 'src/ui'))) return;
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { stdio: 'ignore', timeout: 180_000 });
  if (!existsSync(MAIN) || !existsSync(DEMO)) throw new Error(`dist missing after building: run npm run build`);
}

describe.skipIf(!hasTmux).concurrent('the timeline in a real terminal (tmux)', () => {
  const sessions: string[] = [];
  let N = 0;
  let records: FateRecord[] = [];

  beforeAll(() => {
    ensureBuilt();
    N = execFileSync('tcpdump', ['-nn', '-r', CAPTURE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd().split('\n').length;
    const nd = execFileSync(process.execPath, [MAIN, 'replay', CAPTURE, '--host', HOST, '--format', 'ndjson'], { encoding: 'utf8' });
    records = nd.trimEnd().split('\n').map((l) => JSON.parse(l) as FateRecord);
  }, 200_000);
  afterAll(() => {
    for (const s of sessions) spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', s]);
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  });

  // the machine may be busy: wait for what a key should bring, never a fixed time
  async function start(w: number, h: number, env = 'NO_COLOR=1'): Promise<{ name: string; screen: () => string; keys: (...k: string[]) => Promise<string>; expectAfter: (re: RegExp, ...k: string[]) => Promise<string> }> {
    const name = `ui-e2e-${process.pid}-${sessions.length}`;
    sessions.push(name);
    tmux('new-session', '-d', '-s', name, '-x', String(w), '-y', String(h), `${env} node ${MAIN} replay ${CAPTURE} --host ${HOST}; echo EXITED $?; sleep 30`);
    const screen = () => tmux('capture-pane', '-p', '-t', name);
    await waitFor(screen, /replay complete/);
    const keys = async (...k: string[]) => {
      for (const x of k) tmux('send-keys', '-t', name, x);
      return screen();
    };
    const expectAfter = async (re: RegExp, ...k: string[]) => {
      await keys(...k);
      const s = await waitFor(screen, re);
      expect(s).toMatch(re);
      return s;
    };
    return { name, screen, keys, expectAfter };
  }
  /** the first screen that matches (or the last one seen, for the failure message) */
  const waitFor = async (f: () => string, re: RegExp) => {
    let s = f();
    for (let k = 0; k < 600 && !re.test(s); k++) {
      await sleep(50);
      s = f();
    }
    return s;
  };

  it('opens on the alternate screen, navigates, shows a journey, filters, and q restores the terminal', async () => {
    expect(records.length).toBe(N);
    const t = await start(100, 30);
    const s = t.screen();
    expect(s).toMatch(new RegExp(`${N} frames {2}replay complete`));
    expect(tmux('display', '-p', '-t', t.name, '#{alternate_on}').trim()).toBe('1');
    expect(s.split('\n').every((l) => l.length <= 100)).toBe(true);
    const count = (f: string) => records.filter((r) => r.fate === f).length;
    expect(s).toContain(`delivered ${count('delivered')}  forwarded ${count('forwarded')}  bridged ${count('bridged')}  sent ${count('sent')}  consumed ${count('consumed')}  dropped ${count('dropped')}`);
    const drops = records.filter((r) => r.fate === 'dropped');
    if (drops.length) {
      const d = drops[0];
      // n goes to the next drop after the selected row (frame 1 when the list opens)
      if (d.frame > 1) await t.expectAfter(new RegExp(` ${d.frame}/${N} `), 'n');
      const ev = d.events.find((e) => e.what.startsWith('drop '))!;
      const det = await t.expectAfter(new RegExp(`Frame ${d.frame} `), 'Enter');
      expect(det).toContain(`✖ ${ev.fn}`);
      expect(det).toContain(`◄ dropped here: ${d.reason}`);
      // scrolled to its end the screen still starts with the title and shows each detail line
      // once (ink's incrementalRendering left a stale line here, shifting the screen by a row)
      const end = await t.expectAfter(/^pktlife [\s\S]*── Headers/, 'G');
      const rows = end.split('\n');
      expect(rows[rows.findIndex((l) => l.startsWith('── Headers')) - 1]).toBe('');
      expect(rows.filter((l) => l.startsWith('── ')).length).toBe(new Set(rows.filter((l) => l.startsWith('── '))).size);
      await t.expectAfter(/No\. +Time/, 'Escape');
      const next = drops.find((x) => x.frame > d.frame);
      if (next) await t.expectAfter(new RegExp(` ${next.frame}/${N} `), 'n');
      // the filter keeps the selected frame selected: the second drop when there is one
      await t.expectAfter(new RegExp(`${next ? 2 : 1}/${drops.length} match \\[fate=dropped\\]`), '/', 'fate=dropped', 'Enter');
    } else {
      await t.expectAfter(/no later drop/, 'n');
    }
    await t.expectAfter(/EXITED 0/, 'q');
    expect(tmux('display', '-p', '-t', t.name, '#{alternate_on}').trim()).toBe('0');
    expect(tmux('display', '-p', '-t', t.name, '#{cursor_flag}').trim()).toBe('1');
  }, 90_000);

  it('follows a resize down to 80x24 and Ctrl-C restores the terminal', async () => {
    const t = await start(120, 40);
    tmux('resize-window', '-t', t.name, '-x', '80', '-y', '24');
    const footer = /^ 1\/\d+ {2}Enter journey/;
    const s = await waitFor(t.screen, new RegExp(`^(.*\n){22}${footer.source.slice(1)}`)); // footer on row 23 of 24
    const lines = s.split('\n');
    expect(lines[22]).toMatch(footer);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    await t.expectAfter(/EXITED 0/, 'C-c');
    expect(tmux('display', '-p', '-t', t.name, '#{alternate_on}').trim()).toBe('0');
  }, 90_000);
  it('f shows the flows, Enter lists a flow\'s frames, c the conntrack table, Esc goes back (resized to 50x8: too small)', async () => {
    const t = await start(120, 40);
    await t.expectAfter(/Flows: \d+/, 'f');
    // the first flow line is selected; Enter filters the list to its frames
    await t.expectAfter(/match \[flow /, 'Enter');
    await t.expectAfter(/conntrack -L after frame \d+: \d+ entries/, 'c');
    await t.expectAfter(/match \[flow /, 'Escape');
    tmux('resize-window', '-t', t.name, '-x', '50', '-y', '8');
    await waitFor(t.screen, /terminal too small \(50x8\)/);
    expect(t.screen()).toMatch(/terminal too small \(50x8\)/);
    await t.expectAfter(/EXITED 0/, 'q');
  }, 90_000);
});
