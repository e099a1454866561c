// `inspect` and `replay` load from dist/cli-bundle (scripts/bundle-cli.mjs) when it is fresh and no
// timeline can open (src/cli/bundle-load.ts). The bundle must print what dist/cli prints, byte for
// byte (stdout, stderr, exit status), and never be what a timeline runs from.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { replayMayOpenUI } from '../../src/cli/bundle-load.js';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const BUNDLE = path.join(ROOT, 'dist/cli-bundle');
const hasBundle = fs.existsSync(path.join(BUNDLE, 'replay.js')) && fs.existsSync(path.join(BUNDLE, 'inspect.js'));
const cap = (f: string): string => path.join(ROOT, 'captures', f);

describe('the command bundle', () => {
  it('is not used by a replay that may open the timeline (no --format, stdout a terminal)', () => {
    expect(replayMayOpenUI(['x.pcap', '--host', 'h'], true)).toBe(true);
    expect(replayMayOpenUI(['x.pcap', '--host', 'h'], false)).toBe(false);
    expect(replayMayOpenUI(['x.pcap', '--host', 'h', '--format', 'text'], true)).toBe(false);
    expect(replayMayOpenUI(['x.pcap', '--format=ndjson', '--host', 'h'], true)).toBe(false);
  });

  it.skipIf(!hasBundle)('is what main.js loads when fresh, dist/cli otherwise', async () => {
    const m = (await import(pathToFileURL(path.join(ROOT, 'dist/cli/bundle-load.js')).href)) as typeof import('../../src/cli/bundle-load.js');
    const tty = () => true, pipe = () => false;
    expect(m.commandModule('inspect', ['x.pcap'], tty).pathname).toBe(path.join(BUNDLE, 'inspect.js'));
    expect(m.commandModule('replay', ['x.pcap', '--host', 'h'], pipe).pathname).toBe(path.join(BUNDLE, 'replay.js'));
    expect(m.commandModule('replay', ['x.pcap', '--host', 'h'], tty).pathname).toBe(path.join(ROOT, 'dist/cli/replay.js'));
    expect(m.commandModule('diff', ['x.pcap'], pipe).pathname).toBe(path.join(ROOT, 'dist/cli/diff.js'));
    // an older bundle than the module tsc wrote since: the module
    const plain = path.join(ROOT, 'dist/cli/replay.js');
    const b = path.join(BUNDLE, 'replay.js');
    const { atime, mtime } = fs.statSync(b);
    try {
      fs.utimesSync(b, atime, new Date(fs.statSync(plain).mtimeMs - 60_000));
      expect(m.commandModule('replay', ['x.pcap', '--format', 'text'], pipe).pathname).toBe(plain);
    } finally {
      fs.utimesSync(b, atime, mtime);
    }
  });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-bundle-'));
  const cut = path.join(tmp, 'cut.pcap');
  const whole = fs.readFileSync(cap('router-any.pcap'));
  fs.writeFileSync(cut, whole.subarray(0, whole.length - 10));
  const runs: string[][] = [
    ['inspect', cap('basic.pcapng')],
    ['inspect', cap('router-any.pcap'), '--format', 'ndjson'],
    ['inspect', cap('vxlan.pcap'), '-e'],
    ['inspect', cut],
    ['replay', cap('router-any.pcap'), '--host', cap('router-host'), '--format', 'text'],
    ['replay', cap('router-any.pcap'), '--host', cap('router-host'), '--format', 'ndjson'],
    ['replay', cap('basic.pcapng'), '--host', cap('basic-host'), '--format', 'json'],
    ['replay', cap('tcp-close.pcap'), '--host', cap('tcp-close-host'), '--format', 'text', '--jobs', '2'],
    ['replay', cut, '--host', cap('router-host'), '--format', 'text'],
    ['replay', cap('basic.pcapng'), '--host', path.join(tmp, 'no-such-host'), '--format', 'text'],
  ];
  for (const args of runs) {
    it.skipIf(!hasBundle)(`prints what dist/cli prints: ${args.map((a) => path.basename(a)).join(' ')}`, () => {
      const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
      const plain = run({ PKTLIFE_NO_BUNDLE: '1' });
      const bundled = run({ PKTLIFE_NO_BUNDLE: '' });
      expect(plain.stdout.length + plain.stderr.length).toBeGreaterThan(0);
      expect(bundled.stdout).toBe(plain.stdout);
      expect(bundled.stderr).toBe(plain.stderr);
      expect(bundled.status).toBe(plain.status);
    });
  }
});
