// A golden case must pass wherever the checkout sits: rule sources are kept relative to the case.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase } from '../../src/report/golden.js';

const ROOT = path.resolve(__dirname, '../..');

describe('golden cases are portable', () => {
  it('a case whose rules decide still passes after its folder moves, and names the rule file relative to the case', () => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'rv2-golden-'));
    const a = path.join(top, 'a');
    fs.mkdirSync(path.join(a, 'host'), { recursive: true });
    for (const f of fs.readdirSync(path.join(ROOT, 'captures/basic-host'))) {
      if (!['nft.txt', 'nft.json', 'iptables.rules', 'ip6tables.rules'].includes(f)) fs.copyFileSync(path.join(ROOT, 'captures/basic-host', f), path.join(a, 'host', f));
    }
    // the capture holds a TCP connection to 10.20.0.1:8080 (captures/README.md); line 4 drops it
    fs.writeFileSync(path.join(a, 'host/nft.txt'), 'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 8080 drop\n\t}\n}\n');
    fs.writeFileSync(path.join(a, 'case.json'), JSON.stringify({ capture: path.join(ROOT, 'captures/basic.pcapng') }));
    expect(runCase(a, true).updated).toBe(true);
    const golden = fs.readFileSync(path.join(a, 'expected.ndjson'), 'utf8');
    expect(golden).toContain('"source":"host/nft.txt:4"');
    expect(golden).not.toContain(top);
    const moved = path.join(top, 'moved');
    fs.renameSync(a, moved);
    const r = runCase(moved);
    expect(r.error).toBeUndefined();
    expect(r.frames).toBeGreaterThan(0);
    expect(r.diffs).toEqual([]);
    // the same case named by a relative path (as `pktlife test cases/` would) passes too
    const rel = runCase(path.relative(process.cwd(), moved));
    expect(rel.error).toBeUndefined();
    expect(rel.diffs).toEqual([]);
  });

  it('messages name case paths as given, without the checkout directory', () => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'rv2-golden-'));
    fs.writeFileSync(path.join(top, 'case.json'), JSON.stringify({ capture: 'missing.pcapng' }));
    const dir = path.relative(process.cwd(), top);
    const r = runCase(dir);
    // the case's host is read as --host reads it (loadHostArg), so its message is --host's
    expect(r.error).toBe(`${path.join(dir, 'host')}: not a directory, nor a file: no such path (expected a host snapshot directory or the NAME.tar.gz of \`pktlife snapshot --script\`)`);
  });
});
