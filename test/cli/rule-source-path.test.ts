// Rule sources in records (and so in the timeline) name the rule file relative to the current
// directory when it is under it, however --host was typed.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');

it('an absolute --host under the cwd gives sources relative to the cwd; outside it, as given', () => {
  const run = (host: string, cwd: string) => {
    const r = spawnSync('node', [CLI, 'replay', join(ROOT, 'captures/router-any.pcap'), '--host', host, '--format', 'ndjson'], { cwd, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).flatMap((l) => (JSON.parse(l).verdicts ?? []).map((v: { source?: string }) => v.source)).filter(Boolean) as string[];
  };
  const inside = run(join(ROOT, 'captures/router-host'), ROOT);
  expect(inside.length).toBeGreaterThan(0);
  for (const s of inside) expect(s).toMatch(/^captures\/router-host\/nft\.txt:\d+$/);
  // from a directory the snapshot is not under: the path as given
  const outside = run(join(ROOT, 'captures/router-host'), join(ROOT, 'test'));
  expect(outside.length).toBe(inside.length);
  for (const s of outside) expect(s.startsWith(`${ROOT}/captures/router-host/nft.txt:`)).toBe(true);
});
