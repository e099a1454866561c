// NFLOG captures (linktype 239): the log message's attributes against tshark (captures/nflog.pcap,
// recorded with `tcpdump -i nflog:5` and nft log rules by captures/record-nflog.sh, and the
// corpus's NFLOG files), and replay of the real capture against its snapshot.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture } from '../../src/capture/reader.js';
import { nflogInfo, NF_HOOK_NAMES } from '../../src/packet/nflog.js';
import { replay } from '../../src/replay.js';
import { CORPUS } from './corpus-compare.js';

const haveTshark = (() => { try { execFileSync('tshark', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
if (!haveTshark) console.warn('NFLOG comparison with tshark skipped: tshark not installed');

const F = ['nflog.family', 'nflog.res_id', 'nflog.prefix', 'nflog.hook', 'nflog.ifindex_indev', 'nflog.ifindex_outdev', 'nflog.uid', 'nflog.gid', 'nflog.protocol'];

function compare(file: string): { frames: number; fields: number; differ: string[] } {
  const out = execFileSync('tshark', ['-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', ...F.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
  const r = openCapture(file);
  const res = { frames: 0, fields: 0, differ: [] as string[] };
  try {
    for (let f = r.next(); f; f = r.next()) {
      const row = rows[res.frames++];
      const i = nflogInfo(f.data, f.caplen);
      if (!row || i === null) continue;
      const eq = (what: string, ours: unknown, theirs: string): void => {
        res.fields++;
        if (String(ours ?? '') !== theirs) res.differ.push(`${path.basename(file)} #${res.frames} ${what}: ours=${String(ours)} tshark=${theirs}`);
      };
      eq('family', i.family, row[0]);
      eq('group', i.group, row[1]);
      eq('prefix', i.prefix, row[2]);
      eq('hook', i.hook, row[3]);
      eq('indev', i.indev, row[4]);
      eq('outdev', i.outdev, row[5]);
      eq('uid', i.uid, row[6]);
      eq('gid', i.gid, row[7]);
      eq('hw protocol', i.hwProtocol === undefined ? '' : '0x' + i.hwProtocol.toString(16).padStart(4, '0'), row[8]);
    }
  } finally { r.close(); }
  return res;
}

describe('NFLOG', () => {
  it.skipIf(!haveTshark)('attributes agree with tshark (namespace capture and corpus)', () => {
    const files = ['captures/nflog.pcap', ...(fs.existsSync(CORPUS) ? ['tcpdump/nflog.pcap', 'zeek/nflog-http.pcap'].map((f) => path.join(CORPUS, f)) : [])];
    let fields = 0;
    for (const f of files) {
      const r = compare(f);
      fields += r.fields;
      expect(r.differ).toEqual([]);
      expect(r.frames).toBeGreaterThan(0);
    }
    console.log(`NFLOG vs tshark: ${files.length} files, ${fields} fields, all agree`);
    expect(fields).toBeGreaterThan(100);
  });

  it('reads the mark the log rule saw (record-nflog.sh sets 0x2a before logging TCP 8080)', () => {
    const r = openCapture('captures/nflog.pcap');
    const marks: (number | undefined)[] = [], hooks: string[] = [];
    try { for (let f = r.next(); f; f = r.next()) { const i = nflogInfo(f.data, f.caplen)!; marks.push(i.mark); hooks.push(NF_HOOK_NAMES[i.hook!]); } } finally { r.close(); }
    // frames 6-11 are the TCP connection to 8080, the only ones marked; 2 and 4 the output rule's echo replies
    expect(marks.map((m, k) => (m === undefined ? 0 : k + 1)).filter(Boolean)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(marks[5]).toBe(0x2a);
    expect(hooks).toEqual(['input', 'output', 'input', 'output', 'input', 'input', 'input', 'input', 'input', 'input', 'input', 'input']);
  });

  it('replays on the logged devices and names the snapshot rule that logged each packet', () => {
    const items = [...replay('captures/nflog.pcap', 'captures/nflog-host')].map((it) => ({ iface: it.iface, fate: it.record.fate, reason: it.record.reason, events: it.record.events ?? [] }));
    expect(items).toHaveLength(12);
    // every record names eth0 (ifindex 2 in the snapshot) as its input or output device
    expect(items.every((x) => x.iface === 'eth0')).toBe(true);
    const first = items.map((x) => x.events[0]);
    expect(first.every((e) => e.fn === 'nfulnl_log_packet')).toBe(true);
    // the rule lines of captures/nflog-host/nft.txt (nft list ruleset as the snapshot took it)
    const nft = fs.readFileSync('captures/nflog-host/nft.txt', 'utf8').split('\n');
    const line = (prefix: string): number => nft.findIndex((l) => l.includes(`log prefix "${prefix}" group 5`)) + 1;
    expect(first[0].what).toContain(`nft.txt:${line('pktlife-ping ')}:`);
    expect(first[1].what).toContain(`nft.txt:${line('pktlife-out ')}:`);
    expect(first[1].what).toContain('hook output out eth0');
    expect(first[5].what).toContain('mark 0x2a');
    // the echo requests are answered by the host (the recording shows its replies, frames 2 and 4);
    // the echo reply logged in output is the host's own packet, sent through the output path
    expect(items[0].fate).toBe('consumed');
    expect(items[1].events.some((e) => e.fn === 'ip_local_out')).toBe(true);
    // nothing listened on UDP 9999 in the recorded host (ss.txt): the kernel drops with NO_SOCKET
    expect(items[11]).toMatchObject({ fate: 'dropped', reason: 'NO_SOCKET' });
  });
});
