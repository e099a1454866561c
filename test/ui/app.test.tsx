import React from 'react';
import { describe, expect, it, afterEach, vi } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import { colorEnabled } from '../../src/ui/index.js';
import { ReplayPump } from '../../src/ui/pump.js';
import { RowStore } from '../../src/ui/store.js';
import { arraySource } from '../../src/ui/sources.js';
import { synthSource } from '../../src/ui/synth.js';
import { basicItems, SYN81, tcpdumpLines, tsharkRows, UDP9998 } from './helpers.js';

const N = tcpdumpLines().length;
const pos = (p: number) => new RegExp(` ${p}/${N} `);
/** tshark's frame.time_relative cut to µs, and frame.time's time of day (UTC) cut to µs */
const relTime = (f: number) => tsharkRows()[f - 1]['frame.time_relative'].replace(/(\.\d{6})\d*$/, '$1');
const absTime = (f: number) => /(\d\d:\d\d:\d\d\.\d{6})/.exec(tsharkRows()[f - 1]['frame.time'])![1];
const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const KEY = { down: '\x1b[B', up: '\x1b[A', enter: '\r', esc: '\x1b', pgdn: '\x1b[6~' };
// no fixed delays (under load a frame takes longer to render): wait for what the screen must show
const SLOW = { timeout: 20_000, interval: 5 };
/** the last frame once `want` matches it (the screen state a step leads to) */
const see = (r: { lastFrame: () => string | undefined }, want: RegExp): Promise<string> =>
  vi.waitFor(() => {
    const s = strip(r.lastFrame() ?? '');
    if (!want.test(s)) throw new Error(`screen never matched ${want}:\n${s}`);
    return s;
  }, SLOW);
/** event-loop turns (setImmediate): what the app does between two input events */
const turns = async (n: number) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); };

async function open(opts: { width?: number; height?: number; color?: boolean } = {}) {
  const pump = new ReplayPump(arraySource(basicItems(), 'captures/basic.pcapng'), new RowStore());
  let done = 0;
  const r = render(<App pump={pump} color={opts.color ?? false} width={opts.width ?? 100} height={opts.height ?? 30} onKeyDone={() => done++} />);
  const W = opts.width ?? 100, H = opts.height ?? 30;
  // the first screen once the replay is complete (or the too-small notice)
  await see(r, W < 60 || H < 10 ? /terminal too small/ : / replay complete/);
  /** type keys, each once the app has handled the one before (a lone Esc is only taken as Esc
   *  when no byte follows it in the same turn: ink flushes it on the next setImmediate) */
  const type = async (...keys: string[]) => {
    for (const k of keys) {
      const want = done + 1;
      r.stdin.write(k);
      await vi.waitFor(() => { if (done < want) throw new Error(`key ${JSON.stringify(k)} not handled yet`); }, SLOW);
    }
  };
  /** type keys, then the screen once it matches `want` */
  const press = async (want: RegExp, ...keys: string[]) => {
    await type(...keys);
    return see(r, want);
  };
  return { ...r, pump, type, press, see: (want: RegExp) => see(r, want), screen: () => strip(r.lastFrame() ?? '') };
}

afterEach(() => cleanup());

describe('timeline list', () => {
  it('shows the first screen: header, summary bar and rows with the capture summaries', async () => {
    const t = await open();
    const s = t.screen();
    const sums = tcpdumpLines();
    expect(s).toMatch(new RegExp(`captures/basic\\.pcapng {2}${N} frames {2}replay complete`));
    const n8080 = tcpdumpLines().filter((l) => /\.8080[ :]/.test(l)).length;
    expect(s).toMatch(new RegExp(`delivered ${n8080} {2}forwarded 0 {2}bridged 0 {2}sent 0 {2}consumed ${N - n8080 - 2} {2}dropped 2`));
    expect(s).toMatch(/drops: NETFILTER_DROP 1 {2}NO_SOCKET 1/);
    expect(s).toMatch(/No\. +Time +If +Fate +Reason +Summary/);
    // the ARP request's row: number, time since frame 1 as tshark gives it, interface, fate, tcpdump text
    const arp = tcpdumpLines().findIndex((l) => l.startsWith('ARP, Request')) + 1;
    const row = s.split('\n').find((l) => new RegExp(`^ +${arp} `).test(l))!;
    expect(row).toMatch(new RegExp(`^ +${arp} +${esc(relTime(arp))} eth0 +consumed +ARP, Request who-has 10\\.20\\.0\\.1 tell 10\\.20\\.0\\.2, l`));
    expect(s).toContain(sums[0].slice(0, 40));
  });

  it('keeps every frame exactly height lines of at most width columns (no terminal wrap)', async () => {
    for (const [w, h] of [[80, 24], [100, 30], [132, 43]]) {
      const t = await open({ width: w, height: h });
      await t.type('j', KEY.enter, 'j', KEY.esc, '?', 'x', '/', 'tcp');
      await t.see(/\/tcp/); // the prompt with what was typed
      for (const f of t.frames) {
        const lines = strip(f).split('\n');
        expect(lines.length).toBe(h);
        for (const l of lines) expect([...l].length).toBeLessThanOrEqual(w);
      }
      t.unmount();
    }
  });

  it('moves with j/k, arrows, PgDn, g/G and reports the position', async () => {
    const t = await open({ height: 24 });
    await t.press(pos(4), 'j', 'j', KEY.down);
    await t.press(pos(3), 'k');
    await t.press(pos(N), 'G');
    expect(t.screen()).toMatch(new RegExp(`^ +${N} .*${esc(tcpdumpLines()[N - 1].slice(0, 30))}`, 'm'));
    await t.press(pos(1), 'g');
    await t.press(pos(19), KEY.pgdn); // 24 rows: 18 list rows
    await t.press(pos(22), 'jjj'); // keys arriving in one read
  });

  it('toggles relative and absolute (UTC) time; values as tshark -t r / -t ud give them', async () => {
    const t = await open();
    const row = (s: string) => s.split('\n').find((l) => new RegExp(`^ +${SYN81} `).test(l))!;
    expect(row(t.screen())).toMatch(new RegExp(`^ +${SYN81} +${esc(relTime(SYN81))} `));
    expect(row(await t.press(new RegExp(`^ +${SYN81} +${esc(absTime(SYN81))} `, 'm'), 't'))).toMatch(new RegExp(`^ +${SYN81} +${esc(absTime(SYN81))} `));
  });

  it('jumps to drops with n/N', async () => {
    const t = await open();
    await t.press(pos(SYN81), 'n');
    await t.press(pos(UDP9998), 'n');
    await t.press(/no later drop/, 'n');
    await t.press(pos(SYN81), 'N');
  });

  it('jumps only to the drops a filter keeps', async () => {
    const t = await open();
    // tcp frames only: the SYN to port 81 is a drop in the view, the UDP to 9998 is not
    let s = await t.press(/ \d+\/\d+ match \[proto=tcp\]/, '/', 'proto=tcp', KEY.enter);
    const n = Number(/ \d+\/(\d+) match/.exec(s)![1]);
    s = await t.press(/ (?:[2-9]|\d\d+)\/\d+ match/, 'n'); // moved off the first match, to the drop
    const at = Number(/ (\d+)\/\d+ match/.exec(s)![1]);
    const rowOf = (l: string) => Number(l.trim().split(/\s+/)[0]);
    const sel = s.split('\n').find((l) => / dropped +NO_SOCKET /.test(l))!;
    expect(rowOf(sel)).toBe(SYN81);
    expect(at).toBeLessThanOrEqual(n);
    await t.press(/no later drop/, 'n');
    await t.press(new RegExp(` ${at}/${n} match`), 'g', 'n');
  });

  it('filters with the / prompt, shows errors, and Esc clears the filter', async () => {
    const t = await open();
    let s = await t.press(/match \[fate=dropped\]/, '/', 'fate=dropped', KEY.enter);
    expect(s).toMatch(/1\/2 match \[fate=dropped\]/);
    const rows = s.split('\n').filter((l) => /^ +\d+ +\d+\.\d{6} /.test(l));
    expect(rows.map((l) => Number(l.trim().split(' ')[0]))).toEqual([SYN81, UDP9998]);
    s = await t.press(/\/port=x .*"x" is not a port number/, '/', '\x15', 'port=x', KEY.enter);
    s = await t.press(/1\/2 match/, KEY.esc); // the prompt closes, the filter stays
    expect(s).not.toMatch(/is not a port number/);
    await t.press(pos(SYN81), KEY.esc); // the filter cleared: the selected frame stays selected
  });

  it('shows the help screen on ? and returns on any key', async () => {
    const t = await open();
    await t.press(/pktlife timeline — keys/, '?');
    const s = await t.press(/No\. +Time/, 'x');
    expect(s).not.toMatch(/pktlife timeline — keys/);
  });
});

describe('frame detail', () => {
  it('draws the journey with the drop point, verdicts, replies, conntrack and decoded headers', async () => {
    const t = await open({ height: 60 });
    const s = await t.press(/── Journey[\s\S]*── Conntrack[\s\S]*TCP /, 'n', KEY.enter);
    const date = /^(\w+) (\d+), (\d+) (\S+) UTC$/.exec(tsharkRows()[SYN81 - 1]['frame.time'])!; // "Nov 23, 2026 15:33:27.414… UTC"
    expect(s).toMatch(new RegExp(`Frame ${SYN81} {2}${date[3]}-11-${date[2]} ${esc(date[4])} UTC`));
    expect(s).toMatch(/DROPPED {2}NO_SOCKET/);
    const journey = s.split('── Journey')[1].split('──')[0];
    expect(journey.split('\n').filter((l) => /^ [●✖◆] /.test(l)).map((l) => l.split(/\s+/)[2])).toEqual([
      '__netif_receive_skb_core',
      'ip_rcv',
      'ip_route_input_noref',
      'nf_conntrack_in',
      'tcp_v4_rcv',
      'tcp_v4_send_reset',
    ]);
    expect(s).toMatch(/ ✖ tcp_v4_rcv {2}drop NO_SOCKET {2}\[eth0\] {2}◄ dropped here: NO_SOCKET/);
    expect(s).toMatch(/input {7}ip filter INPUT {2}accept {2}\(chain policy\)/);
    expect(s).toContain(`→ eth0  ${tcpdumpLines()[SYN81]}`); // the record's reply text
    expect(s).toMatch(/── Conntrack [\s\S]*ct\.state: none → NEW/);
    const r = tsharkRows()[SYN81 - 1];
    expect(s).toMatch(new RegExp(`TCP {7}${r['tcp.srcport']} > 81 {2}\\[SYN\\] {2}seq ${r['tcp.seq_raw']}`));
  });

  it('scrolls a long detail and steps through frames with ] and [', async () => {
    const t = await open({ height: 12 });
    await t.press(/\(1-10\/\d+\)/, 'n', KEY.enter);
    await t.press(/\(3-12\/\d+\)/, 'j', 'j');
    await t.press(new RegExp(`Frame ${SYN81 + 1} `), ']');
    await t.press(pos(SYN81 + 1), KEY.esc);
  });
});

describe('colour and progress', () => {
  it('writes no colour codes when colour is off', async () => {
    const off = await open({ color: false });
    await off.press(/── Journey/, 'n', KEY.enter);
    for (const f of off.frames) expect(f).not.toMatch(/\x1b\[(3[0-7]|9[0-7]|38;)/);
  });

  it('NO_COLOR (non-empty) and TERM=dumb turn colour off', () => {
    expect(colorEnabled({ NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ TERM: 'xterm-256color' })).toBe(true);
  });

  it('is usable while a large source is still replaying, with a progress line', async () => {
    const pump = new ReplayPump(synthSource(300_000), new RowStore());
    const r = render(<App pump={pump} color={false} width={100} height={24} sliceMs={2} />);
    // wait for the screen states (not fixed delays: under load a frame takes longer to render)
    const s = await vi.waitFor(() => {
      const t = strip(r.lastFrame() ?? '');
      if (!/^ +1 +0\.000000 eth0/m.test(t)) throw new Error('first row not shown yet');
      return t;
    }, { timeout: 20_000, interval: 10 });
    expect(pump.done).toBe(false);
    expect(s).toMatch(/replaying \[[█░]+\] \d+% {2}[\d,]+ frames {2}[\d.]+ MB\/s {2}ETA/);
    expect(s).toMatch(/^ +1 +0\.000000 eth0/m);
    r.stdin.write('j');
    await vi.waitFor(() => expect(strip(r.lastFrame() ?? '')).toMatch(/ 2\/[\d]+ /), { timeout: 20_000, interval: 10 });
    r.unmount();
  });
});

describe('quitting while replaying', () => {
  it('stops pulling frames once the app is unmounted', async () => {
    const pump = new ReplayPump(synthSource(2_000_000), new RowStore());
    const r = render(<App pump={pump} color={false} width={100} height={24} sliceMs={2} />);
    // replaying: the first rows are on the screen
    await see(r, /^ +1 +0\.000000 eth0/m);
    r.unmount();
    // the replay loop runs once per event-loop turn (setImmediate): let the turn in flight end,
    // then many more turns must not add a frame
    await turns(3);
    const n = pump.store.count;
    await turns(50);
    expect(pump.done).toBe(false);
    expect(pump.store.count).toBe(n);
  });
});

describe('unsupported results', () => {
  it('marks them in the list, counts them, filters them and explains them in the detail', async () => {
    const items = basicItems();
    const k = items.findIndex((x) => x.summary.startsWith('ARP, Request'));
    items[k] = { ...items[k], record: { ...items[k].record, unsupported: ['arp_filter sysctl'] } };
    const pump = new ReplayPump(arraySource(items), new RowStore());
    const r = render(<App pump={pump} color={false} width={100} height={30} />);
    let s = await see(r, / replay complete/);
    expect(s).toMatch(/⚠ unsupported 1/);
    expect(s).toMatch(new RegExp(`^ +${k + 1} .* consumed +⚠ unsupported +ARP, Request`, 'm'));
    r.stdin.write('/');
    await see(r, /^\//m);
    r.stdin.write('unsupported\r');
    await see(r, /1\/1 match \[unsupported\]/);
    r.stdin.write('\r');
    await see(r, /⚠ unsupported: arp_filter sysctl — this result may differ from the kernel/);
    r.unmount();
  });
});

describe('a terminal too small for the timeline', () => {
  it('says so, with the size it needs, instead of drawing a broken list', async () => {
    const t = await open({ width: 50, height: 8 });
    expect(t.screen()).toMatch(/terminal too small \(50x8\): the timeline needs at least 60x10/);
    expect(t.screen()).not.toMatch(/No\. +Time/);
    t.unmount();
    const ok = await open({ width: 60, height: 10 });
    expect(ok.screen()).toMatch(/No\. +Time/);
    ok.unmount();
  });
});

describe('flows (f) and the conntrack table (c)', () => {
  it('f lists one line per connection; Enter lists its frames; c shows conntrack -L at the frame', async () => {
    const t = await open({ width: 140, height: 40 });
    let s = await t.press(/Flows: \d+/, 'f');
    // the TCP connection to 8080 (frames 13-22 of basic.pcapng, by tcpdump): one flow, both directions
    const line = s.split('\n').find((l) => /tcp .*:8080/.test(l) && /frames 13-22/.test(l));
    expect(line, s).toBeDefined();
    const idx = s.split('\n').filter((l) => /^ \S/.test(l) && /frames \d+-\d+/.test(l)).findIndex((l) => l === line);
    for (let k = 0; k < idx; k++) await t.type('j');
    s = await t.press(/match \[flow tcp /, KEY.enter);
    const n8080 = tcpdumpLines().filter((l) => /\.8080[ :]/.test(l)).length;
    expect(s).toMatch(new RegExp(` 1/${n8080} match`));
    s = await t.press(/conntrack -L after frame 13: \d+ entries/, 'c');
    t.unmount();
  });
});
