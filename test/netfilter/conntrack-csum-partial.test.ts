// nf_conntrack_in's checksum check (tcp_error/udp_error -> nf_checksum -> nf_ip_checksum) only
// sums skbs whose ip_summed is CHECKSUM_NONE or CHECKSUM_COMPLETE; a CHECKSUM_PARTIAL skb (what a
// veth peer hands over, and what --checksums auto infers from a checksum field holding only the
// pseudo-header sum) is not INVALID. captures/basic.pcapng is such a veth capture: the real host
// answered every one of these frames (SYN-ACK, echo reply on UDP 9999), so none was invalid.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import { replayAll } from '../../src/report/golden.js';
import { withRules } from '../../src/report/rules-override.js';

const ROOT = path.resolve(__dirname, '../..');
// (sources are named relative to the cwd when the file is under it: shownPath in src/host/load.ts)
const RULES = path.join(ROOT, 'examples/firewall-review/new-rules.nft');

describe('conntrack and offloaded checksums', () => {
  const host = withRules(loadHost(path.join(ROOT, 'captures/basic-host')), [RULES]);
  const items = replayAll(path.join(ROOT, 'captures/basic.pcapng'), host, { checksums: 'auto' });
  const byText = (re: RegExp) => items.filter((it) => re.test(it.summary));

  it('a UDP datagram with a partial checksum is NEW, accepted by its rule and delivered', () => {
    const [udp] = byText(/ > 10\.20\.0\.1\.9999: UDP/);
    expect(udp!.record).toMatchObject({ fate: 'delivered', socket: 'udp 0.0.0.0:9999' });
    expect(udp!.record.verdicts![0]).toMatchObject({ hook: 'input', verdict: 'accept', source: `${path.relative(process.cwd(), RULES)}:11` });
  });
  it('a SYN to the closed web port meets the drop policy, not the ct state invalid rule', () => {
    const [syn] = byText(/ > 10\.20\.0\.1\.8080: Flags \[S\]/);
    expect(syn!.record).toMatchObject({ fate: 'dropped', reason: 'NETFILTER_DROP' });
    expect(syn!.record.verdicts![0]!.rule).toBeUndefined();
  });
  it('--checksums verify still finds them bad (INVALID, dropped by the invalid rule)', () => {
    const v = replayAll(path.join(ROOT, 'captures/basic.pcapng'), host, { checksums: 'verify' });
    const udp = v.find((it) => / > 10\.20\.0\.1\.9999: UDP/.test(it.summary))!;
    expect(udp.record).toMatchObject({ fate: 'dropped', reason: 'NETFILTER_DROP' });
    expect(udp.record.verdicts![0]).toMatchObject({ source: `${path.relative(process.cwd(), RULES)}:8` });
  });
});
