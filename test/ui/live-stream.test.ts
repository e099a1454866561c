// The timeline follows a live stream (`tcpdump -U -w - | pktlife replay - --host H` on a terminal):
// in tmux, the capture is written into a FIFO piped to the program a few frames at a time. New
// frames must appear while the stream stays open, the row the user moved to must stay selected as
// the list grows, and the end of the stream must say "replay complete" with every frame in.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const MAIN = join(ROOT, 'dist/cli/main.js');
const CAP = join(ROOT, 'captures/tcp-close.pcap');
const HOST = join(ROOT, 'captures/tcp-close-host');
const SOCKET = `pktlife-live-${process.pid}`;
const tmux = (...a: string[]) => execFileSync('tmux', ['-L', SOCKET, ...a], { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(screen: () => string, re: RegExp, ms = 30_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = screen();
    if (re.test(s)) return s;
    if (Date.now() - t0 > ms) throw new Error(`no ${re} on screen within ${ms} ms:\n${s}`);
    await sleep(100);
  }
}

describe.skipIf(!hasTmux)('the timeline on a live stream (tmux, a FIFO on stdin)', () => {
  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  });

  it('shows frames as they arrive and keeps the row the user selected', async () => {
    const b = fs.readFileSync(CAP);
    const recs: Buffer[] = [];
    for (let p = 24; p < b.length; ) {
      const caplen = b.readUInt32LE(p + 8);
      recs.push(b.subarray(p, p + 16 + caplen));
      p += 16 + caplen;
    }
    expect(recs.length).toBeGreaterThan(8);
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'sp-live-ui-'));
    const fifo = join(dir, 'cap');
    execFileSync('mkfifo', [fifo]);
    const name = 'live';
    tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '30', `NO_COLOR=1 node ${MAIN} replay - --host ${HOST} < ${fifo}; echo EXITED $?; sleep 30`);
    const screen = () => tmux('capture-pane', '-p', '-t', name);
    // opens when the program's shell opened the FIFO for reading
    const fd = fs.openSync(fifo, 'w');
    try {
      fs.writeSync(fd, Buffer.concat([b.subarray(0, 24), ...recs.slice(0, 4)]));
      await waitFor(screen, / 1\/4 /);
      // the user moves to the third row while the stream is open
      tmux('send-keys', '-t', name, 'j');
      tmux('send-keys', '-t', name, 'j');
      await waitFor(screen, / 3\/4 /);
      expect(screen()).not.toMatch(/replay complete/);
      // more frames arrive: the list grows under the selection, which stays on row 3
      fs.writeSync(fd, Buffer.concat(recs.slice(4, 8)));
      await waitFor(screen, / 3\/8 /);
      expect(screen()).not.toMatch(/replay complete/);
    } finally {
      fs.closeSync(fd);
    }
    // the writer closed the stream without the rest: the frames in are all there, and it is complete
    const end = await waitFor(screen, /replay complete/);
    expect(end).toMatch(/ 3\/8 /);
    tmux('send-keys', '-t', name, 'q');
    await waitFor(screen, /EXITED 0/);
  }, 90_000);

  it('a stream cut mid-record shows the frames before it and the cut file\'s error', async () => {
    const b = fs.readFileSync(CAP);
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'sp-live-ui-'));
    const fifo = join(dir, 'cap');
    execFileSync('mkfifo', [fifo]);
    // the header, five whole records and 30 bytes of the sixth
    let p = 24;
    for (let k = 0; k < 5; k++) p += 16 + b.readUInt32LE(p + 8);
    const cut = b.subarray(0, p + 30);
    const file = join(dir, 'cut.pcap');
    fs.writeFileSync(file, cut);
    const want = spawnSync(process.execPath, [MAIN, 'replay', file, '--host', HOST, '--format', 'text'], { encoding: 'utf8' });
    expect(want.status).toBe(2);
    const problem = want.stderr.replace(/^pktlife replay: [^:]+: /, '').trim();
    expect(problem).toMatch(/^offset \d+: truncated record/);
    const name = 'cut';
    tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '30', `NO_COLOR=1 node ${MAIN} replay - --host ${HOST} < ${fifo} 2>${join(dir, 'err')}; echo EXITED $?; sleep 30`);
    const screen = () => tmux('capture-pane', '-p', '-t', name);
    const fd = fs.openSync(fifo, 'w');
    fs.writeSync(fd, cut);
    fs.closeSync(fd);
    const s = await waitFor(screen, /truncated record/);
    expect(s).toMatch(/ 1\/5 /);
    tmux('send-keys', '-t', name, 'q');
    await waitFor(screen, /EXITED/);
    expect(fs.readFileSync(join(dir, 'err'), 'utf8')).toContain(`(stdin): ${problem}`);
  }, 90_000);
});
