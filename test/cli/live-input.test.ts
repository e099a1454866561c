// Live input: `-` reads the capture from standard input (`tcpdump -U -w - | pktlife replay - ...`).
// Through a real pipe, frame by frame: each frame's line must come out before the next frame is
// written (text and ndjson flush per frame on a pipe), the lines must be the ones the same capture
// gives as a file, and a stream cut mid-record ends with the cut file's error after the frames
// before it (exit 2).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const CAP = path.join(ROOT, 'captures/tcp-close.pcap');
const HOST = path.join(ROOT, 'captures/tcp-close-host');

/** the pcap's file header and each record (header + data), split by the records' caplen */
function records(file: string): { head: Buffer; recs: Buffer[] } {
  const b = fs.readFileSync(file);
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4); // little-endian usec pcap: 16-byte record headers
  const recs: Buffer[] = [];
  for (let p = 24; p < b.length; ) {
    const caplen = b.readUInt32LE(p + 8);
    recs.push(b.subarray(p, p + 16 + caplen));
    p += 16 + caplen;
  }
  return { head: b.subarray(0, 24), recs };
}

/** runs the CLI on `-`, feeding `recs` one at a time, each only after the previous frame's line came out */
async function feed(args: string[], head: Buffer, recs: Buffer[], tail?: Buffer): Promise<{ out: string[]; err: string; code: number | null }> {
  const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let waiter: (() => void) | null = null;
  let want = 0;
  p.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (waiter && out.split('\n').length - 1 >= want) waiter();
  });
  p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => p.on('close', (c) => r(c)));
  p.stdin.write(head);
  for (let i = 0; i < recs.length; i++) {
    want = i + 1;
    const seen = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no line for frame ${i + 1} while stdin stays open (got ${JSON.stringify(out)})`)), 20_000);
      waiter = () => {
        clearTimeout(t);
        waiter = null;
        resolve();
      };
      if (out.split('\n').length - 1 >= want) waiter();
    });
    p.stdin.write(recs[i]);
    await seen;
  }
  if (tail) p.stdin.write(tail);
  p.stdin.end();
  const code = await exited;
  return { out: out.trimEnd().split('\n'), err, code };
}

describe('live input from standard input', () => {
  const { head, recs } = records(CAP);

  for (const [cmd, fmt] of [['replay', 'text'], ['replay', 'ndjson'], ['inspect', 'text'], ['inspect', 'ndjson']] as const) {
    it(`${cmd} --format ${fmt}: each frame's line arrives while the pipe stays open; the lines are the file's`, async () => {
      const args = cmd === 'replay' ? ['replay', '-', '--host', HOST, '--format', fmt] : ['inspect', '-', '--format', fmt];
      const fromFile = spawnSync(process.execPath, [MAIN, ...args.map((a) => (a === '-' ? CAP : a))], { encoding: 'utf8' });
      expect(fromFile.status).toBe(0);
      const r = await feed(args, head, recs);
      expect(r.code).toBe(0);
      expect(r.err).toBe(fromFile.stderr);
      expect(r.out).toEqual(fromFile.stdout.trimEnd().split('\n'));
      expect(r.out.length).toBe(recs.length);
    }, 60_000);
  }

  it('a stream cut mid-record ends with the cut file\'s error (exit 2) after the frames before it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-live-'));
    const cut = path.join(dir, 'cut.pcap');
    const keep = recs.slice(0, 5);
    const half = recs[5]!.subarray(0, 30);
    fs.writeFileSync(cut, Buffer.concat([head, ...keep, half]));
    const args = ['replay', '-', '--host', HOST, '--format', 'text'];
    const fromFile = spawnSync(process.execPath, [MAIN, 'replay', cut, '--host', HOST, '--format', 'text'], { encoding: 'utf8' });
    expect(fromFile.status).toBe(2);
    expect(fromFile.stderr).toMatch(/truncated record: caplen \d+ but only 14 bytes left in file/);
    const r = await feed(args, head, keep, half);
    expect(r.code).toBe(2);
    expect(r.out).toEqual(fromFile.stdout.trimEnd().split('\n'));
    expect(r.err).toBe(fromFile.stderr.replace(cut, '(stdin)'));
  }, 60_000);

  it('pcapng blocks the reader skips (a 2 MiB custom block, larger than one read) are skipped on a stream as in a file', () => {
    const b = fs.readFileSync(path.join(ROOT, 'captures/basic.pcapng'));
    // after the SHB and the first IDB: a block of an unknown type, 2 MiB + 12 bytes, then the rest
    const shbLen = b.readUInt32LE(4);
    const idbLen = b.readUInt32LE(shbLen + 4);
    const at = shbLen + idbLen;
    const len = (2 << 20) + 12;
    const blk = Buffer.alloc(len, 0x5a);
    blk.writeUInt32LE(0x0badcafe & 0x7fffffff, 0);
    blk.writeUInt32LE(len, 4);
    blk.writeUInt32LE(len, len - 4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-live-'));
    const f = path.join(dir, 'skip.pcapng');
    fs.writeFileSync(f, Buffer.concat([b.subarray(0, at), blk, b.subarray(at)]));
    const fromFile = spawnSync(process.execPath, [MAIN, 'inspect', f], { encoding: 'utf8' });
    const fromPipe = spawnSync(process.execPath, [MAIN, 'inspect', '-'], { input: fs.readFileSync(f), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(fromFile.status).toBe(0);
    expect(fromPipe.status).toBe(0);
    expect(fromPipe.stdout).toBe(fromFile.stdout);
    expect(fromFile.stdout.trimEnd().split('\n').length).toBe(spawnSync('tcpdump', ['-nn', '-r', f], { encoding: 'utf8' }).stdout.trimEnd().split('\n').length);
    // the same file cut inside the big block: the error names the same offset and problem
    fs.writeFileSync(f, Buffer.concat([b.subarray(0, at), blk.subarray(0, 1 << 20)]));
    const cutFile = spawnSync(process.execPath, [MAIN, 'inspect', f], { encoding: 'utf8' });
    const cutPipe = spawnSync(process.execPath, [MAIN, 'inspect', '-'], { input: fs.readFileSync(f), encoding: 'utf8' });
    expect(cutFile.status).toBe(2);
    expect(cutPipe.status).toBe(2);
    expect(cutPipe.stderr).toBe(cutFile.stderr.replace(f, '(stdin)'));
  });

  it('--write-pcap needs a file (the export reads the capture a second time)', () => {
    const r = spawnSync(process.execPath, [MAIN, 'replay', '-', '--host', HOST, '--write-pcap', '/dev/null'], { input: fs.readFileSync(CAP), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--write-pcap needs a capture file, not standard input');
  });
});
