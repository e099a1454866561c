// Every command's --help ends with two or three examples (commander's addHelpText 'after').
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(__dirname, '../../dist/cli/main.js');

describe('--help ends with examples', () => {
  for (const cmd of ['', 'inspect', 'replay', 'snapshot', 'test', 'diff']) {
    it(`pktlife ${cmd || '(no command)'} --help`, () => {
      const r = spawnSync('node', [CLI, ...(cmd ? [cmd] : []), '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const tail = r.stdout.trimEnd().split('\n');
      const at = tail.lastIndexOf('Examples:');
      expect(at, r.stdout).toBeGreaterThan(0);
      // examples are command lines (continuation comments aside), and the last block of the help
      const lines = tail.slice(at + 1).filter((l) => !/^\s+#/.test(l));
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines.length).toBeLessThanOrEqual(3);
      for (const l of lines) expect(l).toMatch(/^  (pktlife |tcpdump .*\| pktlife )/);
      if (cmd) for (const l of lines) expect(l).toContain(`pktlife ${cmd}`);
    });
  }
});
