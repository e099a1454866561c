// The replay driver (src/replay.ts): interfaces, direction, errors.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay, ReplayError } from '../../src/replay.js';
import { CaptureError } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';

const FX = new URL('../../fixtures/kernel/', import.meta.url).pathname;

describe('replay()', () => {
  it('a damaged capture: every frame before the damage gets its fate, then CaptureError', () => {
    const src = join(FX, 'router/frames.pcapng');
    const whole = readFileSync(src);
    const dir = mkdtempSync(join(tmpdir(), 'kp-'));
    const cut = join(dir, 'cut.pcapng');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const got: number[] = [];
    let err: unknown = null;
    try {
      for (const it of replay(cut, join(FX, 'router/host'), { checksums: 'verify' })) got.push(it.frame);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaptureError);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
  });
  it('an interface the snapshot lacks is a ReplayError naming the frame and the interface', () => {
    const host = loadHost(join(FX, 'router/host'));
    host.byName.delete('eth0');
    host.devices = host.devices.filter((d) => d.name !== 'eth0');
    expect(() => [...replay(join(FX, 'router/frames.pcapng'), host, { checksums: 'verify' })]).toThrow(ReplayError);
    expect(() => [...replay(join(FX, 'router/frames.pcapng'), host, { checksums: 'verify' })]).toThrow(/frame 1: interface "eth0" is not in the host snapshot/);
  });
  it('the host\'s own frames (source MAC of the capture interface) take the output path', () => {
    // captures/basic.pcapng: dumpcap on the host's eth0 sets no direction flags
    const cap = new URL('../../captures/basic.pcapng', import.meta.url).pathname;
    const host = new URL('../../captures/basic-host', import.meta.url).pathname;
    const items = [...replay(cap, host, { checksums: 'auto' })];
    const echoReply = items.find((i) => /ICMP echo reply/.test(i.summary) && i.summary.startsWith('IP 10.20.0.1 >'))!;
    expect(echoReply.record.fate).toBe('sent');
    expect(echoReply.record.events.some((e) => e.fn === 'ip_local_out')).toBe(true);
    const echoReq = items.find((i) => /ICMP echo request/.test(i.summary) && i.summary.startsWith('IP 10.20.0.2 >'))!;
    expect(echoReq.record.fate).toBe('consumed');
  });
});

describe('netfilter in the replay', () => {
  it('a rule set that does not load is an error naming its file and line, never a replay without rules', () => {
    // netfilter is imported statically: a broken rule file (or module) cannot fall back to "no rules"
    const host = loadHost(join(FX, 'router/host'));
    host.nftText = { path: 'nft.txt', text: 'table ip filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n    jump nowhere\n  }\n}\n' };
    expect(() => [...replay(join(FX, 'router/frames.pcapng'), host, { checksums: 'verify' })]).toThrow(/^nft\.txt:4: .*chain 'nowhere' does not exist/);
  });
  it('a REJECT rule answers through nf_send_reject: the reset leaves as a reply of the rejected frame', () => {
    const host = loadHost(join(FX, 'router/host'));
    host.iptables = undefined;
    host.ip6tables = undefined;
    host.nftJson = undefined;
    host.nftText = { path: 'nft.txt', text: 'table inet f {\n  chain fwd {\n    type filter hook forward priority 0;\n    meta l4proto tcp reject with tcp reset\n  }\n}\n' };
    const items = [...replay(join(FX, 'router/frames.pcapng'), host, { checksums: 'verify' })];
    const tcp = items.filter((i) => / Flags \[S\]/.test(i.summary) && i.record.fate === 'dropped');
    expect(tcp.length).toBeGreaterThan(0);
    for (const i of tcp) {
      expect(i.record.reason).toBe('NETFILTER_DROP');
      expect(i.record.replies.map((r) => r.summary).join()).toMatch(/Flags \[R\.\]/);
    }
  });
});
