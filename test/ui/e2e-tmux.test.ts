// End to end: the real program in a real terminal (tmux), driven by keys, read back with
// capture-pane. Until `pktlife replay` lands this runs the UI's demo entry on an ndjson of fate
// records for the bundled capture (same ReplaySource path the replay CLI uses).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicItems, ROOT, SYN81, tcpdumpLines } from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('test/ui/e2e-tmux: tmux not found — skipping the end-to-end terminal test');

const DEMO = join(ROOT, 'dist/ui/demo.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmux = (...a: string[]) => execFileSync('tmux', a, { encoding: 'utf8' });

/** dist must be at least as new as src/ui, or the test would drive stale code */
function ensureBuilt(): void {
  const newest = (d: string): number =>
    Math.max(...readdirSync(d, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs)));
  if (existsSync(DEMO) && statSync(DEMO).mtimeMs >= newest(join(ROOT, 'src/ui'))) return;
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { stdio: 'ignore', timeout: 180_000 });
  if (!existsSync(DEMO)) throw new Error(`${DEMO} missing after building: run npm run build`);
}

describe.skipIf(!hasTmux)('the timeline in a real terminal (tmux)', () => {
  let dir: string;
  let file: string;
  const sessions: string[] = [];
  const N = tcpdumpLines().length;

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'ui-e2e-'));
    file = join(dir, 'basic.ndjson');
    const lines = basicItems().map((it) => JSON.stringify({ ...it, bytes: Buffer.from(it.bytes!).toString('hex') }));
    writeFileSync(file, lines.join('\n') + '\n');
  }, 200_000);
  afterAll(() => {
    for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s]);
    rmSync(dir, { recursive: true, force: true });
  });

  // the machine may be busy: wait for what a key should bring, never a fixed time
  async function start(w: number, h: number, env = 'NO_COLOR=1'): Promise<{ name: string; screen: () => string; keys: (...k: string[]) => Promise<string>; expectAfter: (re: RegExp, ...k: string[]) => Promise<string> }> {
    const name = `ui-e2e-${process.pid}-${sessions.length}`;
    sessions.push(name);
    tmux('new-session', '-d', '-s', name, '-x', String(w), '-y', String(h), `${env} node ${DEMO} ${file}; echo EXITED $?; sleep 30`);
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
    for (let k = 0; k < 300 && !re.test(s); k++) {
      await sleep(50);
      s = f();
    }
    return s;
  };

  it('opens on the alternate screen, navigates, shows a journey, filters, and q restores the terminal', async () => {
    const t = await start(100, 30);
    let s = t.screen();
    expect(s).toMatch(new RegExp(`${N} frames {2}replay complete`));
    expect(tmux('display', '-p', '-t', t.name, '#{alternate_on}').trim()).toBe('1');
    expect(s.split('\n').slice(0, 29).every((l) => l.length <= 100)).toBe(true);
    await t.expectAfter(new RegExp(` ${SYN81}/${N} `), 'n');
    s = await t.expectAfter(/✖ tcp_v4_rcv {2}drop NO_SOCKET/, 'Enter');
    expect(s).toMatch(/◄ dropped here: NO_SOCKET/);
    await t.expectAfter(/No\. +Time/, 'Escape');
    await t.expectAfter(/match \[port=8080\]/, '/', 'port=8080', 'Enter');
    await t.expectAfter(/EXITED 0/, 'q');
    expect(tmux('display', '-p', '-t', t.name, '#{alternate_on}').trim()).toBe('0');
    expect(tmux('display', '-p', '-t', t.name, '#{cursor_flag}').trim()).toBe('1');
  }, 60_000);

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
  }, 60_000);
});
