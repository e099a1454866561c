import React from 'react';
import { describe, expect, it, afterEach } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import { colorEnabled } from '../../src/ui/index.js';
import { ReplayPump } from '../../src/ui/pump.js';
import { RowStore } from '../../src/ui/store.js';
import { arraySource } from '../../src/ui/sources.js';
import { synthSource } from '../../src/ui/synth.js';
import { basicItems, tcpdumpLines } from './helpers.js';

const wait = (ms = 30) => new Promise((r) => setTimeout(r, ms));
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const KEY = { down: '\x1b[B', up: '\x1b[A', enter: '\r', esc: '\x1b', pgdn: '\x1b[6~' };

async function open(opts: { width?: number; height?: number; color?: boolean } = {}) {
  const pump = new ReplayPump(arraySource(basicItems(), 'captures/basic.pcapng'), new RowStore());
  const r = render(<App pump={pump} color={opts.color ?? false} width={opts.width ?? 100} height={opts.height ?? 30} />);
  for (let k = 0; k < 50 && !pump.done; k++) await wait(10);
  await wait(40);
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      await wait(k === KEY.esc ? 80 : 15);
    }
    await wait(30);
    return strip(r.lastFrame() ?? '');
  };
  return { ...r, pump, press, screen: () => strip(r.lastFrame() ?? '') };
}

afterEach(() => cleanup());

describe('timeline list', () => {
  it('shows the first screen: header, summary bar and rows with the capture summaries', async () => {
    const t = await open();
    const s = t.screen();
    const sums = tcpdumpLines();
    expect(s).toMatch(/captures\/basic\.pcapng {2}42 frames {2}replay complete/);
    expect(s).toMatch(/delivered 10 {2}forwarded 0 {2}bridged 0 {2}consumed 30 {2}dropped 2/);
    expect(s).toMatch(/drops: NETFILTER_DROP 1 {2}NO_SOCKET 1/);
    expect(s).toMatch(/No\. +Time +If +Fate +Reason +Summary/);
    // the row of frame 8: number, time since frame 1 (tshark -t r: 0.xxxxxx), interface, fate, tcpdump text
    const row8 = s.split('\n').find((l) => /^ +8 /.test(l))!;
    expect(row8).toMatch(/^ +8 +\d+\.\d{6} eth0 +consumed +ARP, Request who-has 10\.20\.0\.1 tell 10\.20\.0\.2, l/);
    expect(s).toContain(sums[0].slice(0, 40));
  });

  it('keeps every frame exactly height lines of at most width columns (no terminal wrap)', async () => {
    for (const [w, h] of [[80, 24], [100, 30], [132, 43]]) {
      const t = await open({ width: w, height: h });
      await t.press('j', KEY.enter, 'j', KEY.esc, '?', 'x', '/', 'tcp');
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
    expect(await t.press('j', 'j', KEY.down)).toMatch(/ 4\/42 /);
    expect(await t.press('k')).toMatch(/ 3\/42 /);
    expect(await t.press('G')).toMatch(/ 42\/42 /);
    expect(t.screen()).toMatch(/^ +42 .*IP6 fd20::1 > fd20::2: ICMP6, echo reply, id 6472/m);
    expect(await t.press('g')).toMatch(/ 1\/42 /);
    expect(await t.press(KEY.pgdn)).toMatch(/ 19\/42 /); // 24 rows: 18 list rows
    expect(await t.press('jjj')).toMatch(/ 22\/42 /); // keys arriving in one read
  });

  it('toggles relative and absolute (UTC) time; values as tshark -t r / -t ud give them', async () => {
    const t = await open();
    const row = (s: string) => s.split('\n').find((l) => /^ +24 /.test(l))!;
    expect(row(t.screen())).toMatch(/^ +24 +2\.221317 /); // tshark: 2.221317133
    expect(row(await t.press('t'))).toMatch(/^ +24 +15:21:26\.819967 /); // tshark -t ud: 15:21:26.819967498
  });

  it('jumps to drops with n/N', async () => {
    const t = await open();
    expect(await t.press('n')).toMatch(/ 24\/42 /);
    expect(await t.press('n')).toMatch(/ 28\/42 /);
    expect(await t.press('n')).toMatch(/no later drop/);
    expect(await t.press('N')).toMatch(/ 24\/42 /);
  });

  it('filters with the / prompt, shows errors, and Esc clears the filter', async () => {
    const t = await open();
    let s = await t.press('/', 'fate=dropped', KEY.enter);
    expect(s).toMatch(/1\/2 match \[fate=dropped\]/);
    const rows = s.split('\n').filter((l) => /^ +\d+ +\d+\.\d{6} /.test(l));
    expect(rows.map((l) => Number(l.trim().split(' ')[0]))).toEqual([24, 28]);
    s = await t.press('/', '\x15', 'port=x', KEY.enter);
    expect(s).toMatch(/\/port=x .*"x" is not a port number/);
    s = await t.press(KEY.esc);
    expect(s).toMatch(/1\/2 match/);
    s = await t.press(KEY.esc);
    expect(s).toMatch(/ 24\/42 /); // the selected frame stays selected
  });

  it('shows the help screen on ? and returns on any key', async () => {
    const t = await open();
    expect(await t.press('?')).toMatch(/pktlife timeline — keys/);
    expect(await t.press('x')).toMatch(/No\. +Time/);
  });
});

describe('frame detail', () => {
  it('draws the journey with the drop point, verdicts, replies, conntrack and decoded headers', async () => {
    const t = await open({ height: 60 });
    const s = await t.press('n', KEY.enter);
    expect(s).toMatch(/Frame 24 {2}2026-11-23 15:21:26\.819967498 UTC/);
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
    expect(s).toMatch(/ ✖ tcp_v4_rcv {2}drop NO_SOCKET {2}\[veth0\] {2}◄ dropped here: NO_SOCKET/);
    expect(s).toMatch(/input {7}ip filter INPUT {2}accept {2}\(chain policy\)/);
    expect(s).toMatch(/→ veth0 {2}IP 10\.20\.0\.1\.81 > 10\.20\.0\.2\.54304: Flags \[R\.\]/);
    expect(s).toMatch(/Conntrack & NAT[\s\S]*ct\.state: none → NEW/);
    expect(s).toMatch(/TCP {7}54304 > 81 {2}\[SYN\] {2}seq 4076138011/); // tshark: tcp.seq_raw 4076138011
  });

  it('scrolls a long detail and steps through frames with ] and [', async () => {
    const t = await open({ height: 12 });
    let s = await t.press('n', KEY.enter);
    expect(s).toMatch(/\(1-10\/\d+\)/);
    s = await t.press('j', 'j');
    expect(s).toMatch(/\(3-12\/\d+\)/);
    s = await t.press(']');
    expect(s).toMatch(/Frame 25 /);
    s = await t.press(KEY.esc);
    expect(s).toMatch(/ 25\/42 /);
  });
});

describe('colour and progress', () => {
  it('writes no colour codes when colour is off', async () => {
    const off = await open({ color: false });
    await off.press('n', KEY.enter);
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
    await wait(60);
    const s = strip(r.lastFrame() ?? '');
    expect(pump.done).toBe(false);
    expect(s).toMatch(/replaying \[[█░]+\] \d+% {2}[\d,]+ frames {2}[\d.]+ MB\/s {2}ETA/);
    expect(s).toMatch(/^ +1 +0\.000000 eth0/m);
    r.stdin.write('j');
    await wait(40);
    expect(strip(r.lastFrame() ?? '')).toMatch(/ 2\/[\d]+ /);
    r.unmount();
  });
});
