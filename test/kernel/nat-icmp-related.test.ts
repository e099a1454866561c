// ICMP errors the host builds carry the conntrack entry of the packet they are about (icmp_glue_bits /
// icmpv6_getfrag -> nf_ct_attach -> nf_conntrack_attach: RELATED in the other direction, even while
// that entry is unconfirmed), so a NAT hook treats them as errors of that connection:
// nf_nat_ipv4_fn hands a RELATED ICMP packet to nf_nat_icmp_reply_translation without a lookup in the
// nat chains, and that drops a redirect about a connection whose NAT is not finished (both manips
// done) or not null ("Redirects on non-null nats must be dropped"). Measured on 6.18
// (fixtures/kernel/firewalld-router frame 32): with firewalld's nat chains the router's redirect for
// a same-subnet forward was built (IcmpOutRedirects +1) and freed NETFILTER_DROP at nf_hook_slow
// between priority -150 and -95 of LOCAL_OUT (the nat core at NF_IP_PRI_NAT_DST), never reaching
// filter_OUTPUT; the router fixture, without nat chains, sends it.
// POST_ROUTING's input device: ip_output passes indev = skb->dev, the device a forwarded packet came
// in on (firewalld-router frame 1: `iifname "eth0" oifname "eth1" jump nat_POST_policy_int2ext` in
// nat_POSTROUTING_POLICIES_pre matched in the kernel's trace).
import { describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { captureFromBuffer } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { replaySource } from '../../src/replay.js';
import { eth, tcp4, udp4 } from './helpers.js';

const HOSTDIR = new URL('../../fixtures/kernel/router/host', import.meta.url).pathname;

function replay(rules: string, frame: Uint8Array): FateRecord {
  const host = loadHost(HOSTDIR);
  host.iptables = undefined;
  host.ip6tables = undefined;
  host.nftJson = undefined;
  host.nftText = { path: 'nft.txt', text: rules };
  const w = new PcapngWriter();
  const ifc = w.addInterface({ name: 'eth1', linktype: 1 });
  w.writePacket({ iface: ifc, tsSec: 1_700_000_000, tsNsec: 0, data: eth('02:00:00:00:02:01', '02:00:00:00:02:02', 0x0800, frame) });
  const src = replaySource(captureFromBuffer(w.close(), 'mem.pcapng'), 'mem', host, { checksums: 'verify' });
  const it = src.next();
  src.close();
  return JSON.parse(JSON.stringify(it!.record)) as FateRecord;
}

// the router fixture's frame 22: 10.0.2.2 on eth1 to 10.0.3.7, whose route is via 10.0.2.2 on eth1
const HAIRPIN = udp4('10.0.2.2', '10.0.3.7', 41017, 53, new TextEncoder().encode('redir'), { id: 22 });
const REDIRECT = 'IP 10.0.2.1 > 10.0.2.2: ICMP redirect 10.0.3.7 to host 10.0.2.2, length 41';

describe('ICMP errors carry their connection (nf_ct_attach) through the NAT hooks', () => {
  it('sends the redirect when no nat chain is registered', () => {
    const r = replay('table inet f {\n  chain out {\n    type filter hook output priority 0; policy accept;\n  }\n}\n', HAIRPIN);
    expect(r.fate).toBe('forwarded');
    expect(r.replies).toEqual([{ iface: 'eth1', summary: REDIRECT }]);
  });

  it('drops the redirect at a nat hook while the connection\'s NAT is not finished', () => {
    // firewalld's shape: nat chains at output and postrouting whose rules do not match this flow
    const r = replay('table ip nat {\n  chain out {\n    type nat hook output priority -100; policy accept;\n    ip daddr 192.0.2.99 dnat to 10.0.2.2\n  }\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n    oifname "eth0" masquerade\n  }\n}\n', HAIRPIN);
    expect(r.fate).toBe('forwarded');
    expect(r.replies).toEqual([{ iface: 'eth1', summary: REDIRECT, dropped: 'NETFILTER_DROP' }]);
    expect(r.events.some((e) => e.fn === 'nf_nat_icmp_reply_translation' && /not set up both ways: NF_DROP/.test(e.what))).toBe(true);
  });

  it('sees the error as RELATED in OUTPUT, although the connection is not confirmed yet', () => {
    const r = replay('table inet f {\n  chain out {\n    type filter hook output priority 0; policy accept;\n    ct state related counter drop\n  }\n}\n', HAIRPIN);
    expect(r.fate).toBe('forwarded');
    expect(r.replies).toEqual([{ iface: 'eth1', summary: REDIRECT, dropped: 'NETFILTER_DROP' }]);
  });
});

describe('POST_ROUTING sees the input device of a forwarded packet', () => {
  it('matches iifname at postrouting for the forwarded frame, not for the host\'s own redirect', () => {
    const r = replay('table inet f {\n  chain post {\n    type filter hook postrouting priority 0; policy accept;\n    iifname "eth1" oifname "eth1" drop\n  }\n}\n', HAIRPIN);
    expect(r.fate).toBe('dropped');
    expect(r.reason).toBe('NETFILTER_DROP');
    expect(r.replies).toEqual([{ iface: 'eth1', summary: REDIRECT }]);
  });
});

describe('a REJECT\'s RST carries the rejected packet\'s connection (nf_send_reset: nf_ct_attach)', () => {
  // Measured on 6.18 (fixtures/kernel/shorewall-router frames 23, 25): Shorewall's fw-loc chain
  // accepts the RST its own `-j REJECT --reject-with tcp-reset` built through its
  // `ctstate RELATED,ESTABLISHED` rule (the SYN's entry, unconfirmed, attached as RELATED_REPLY); the
  // chain's policy would have rejected it, and the peer captured it.
  it('is RELATED in OUTPUT and leaves, although the rejected SYN never confirmed its entry', () => {
    const r = replay('table inet f {\n  chain in {\n    type filter hook input priority 0; policy accept;\n    tcp dport 23 reject with tcp reset\n  }\n  chain out {\n    type filter hook output priority 0; policy accept;\n    ct state related accept\n    tcp flags rst drop\n  }\n}\n',
      tcp4('10.0.2.2', '10.0.2.1', 40502, 23, 0x02, 100));
    expect(r.fate).toBe('dropped');
    expect(r.replies).toEqual([{ iface: 'eth1', summary: 'IP 10.0.2.1.23 > 10.0.2.2.40502: Flags [R.], seq 0, ack 101, win 0, length 0' }]);
  });
});
