// jhash and numgen inc (nft-stateful.ts) against the kernel's algorithm: no tests/py rule evaluates
// them where the interpreter can compare (the corpus uses them for ct mark and nat maps); likewise
// the indexed routing-header addresses `rt0 addr[1]`, `srh sid[N]` (nft-exthdr.ts indexedAddr), and
// IPv6 extension headers and TCP options beyond what the differential's sample of tests/py reaches
// in a mutation run (hbh, dst, frag, mh, rt fields and `exists`; maxseg, sack, window, timestamp,
// fastopen: each field's offset and mask; the generated packets carry one such header, so the walk through
// chains of several headers stays the differential's). These
// rules' VM programs were recorded from this machine's nft 1.0.6 (`nft --debug=netlink -f` in a
// private network namespace, session 7) and run through nft-vm.ts (nft_hash.c's jhash and
// reciprocal_scale, nft_numgen.c's counter) and through pktlife's compiled rule on the same
// generated packets, as the differential test does: the mark each sets must agree on every packet.
import { describe, expect, it } from 'vitest';
import { parsePayloadFile } from './nft-vm.js';
import { checkRule, SAMPLES } from './nft-differential-run.js';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';

const RECORDED = `
# meta mark set jhash ip saddr . ip daddr mod 16 seed 0x1234
ip t c
  [ payload load 4b @ network header + 12 => reg 2 ]
  [ payload load 4b @ network header + 16 => reg 13 ]
  [ hash reg 1 = jhash(reg 2, 8, 0x1234) % mod 16 ]
  [ meta set mark with reg 1 ]

# meta mark set jhash ip saddr mod 7 seed 0xdeadbeef offset 100
ip t c
  [ payload load 4b @ network header + 12 => reg 2 ]
  [ hash reg 1 = jhash(reg 2, 4, 0xdeadbeef) % mod 7 offset 100 ]
  [ meta set mark with reg 1 ]

# meta mark set numgen inc mod 3 offset 5
ip t c
  [ numgen reg 1 = inc mod 3 offset 5 ]
  [ meta set mark with reg 1 ]

# meta mark set jhash tcp dport mod 50 seed 0x5
ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 2 ]
  [ hash reg 1 = jhash(reg 2, 2, 0x5) % mod 50 ]
  [ meta set mark with reg 1 ]

# meta mark set jhash ip saddr . tcp dport . ip daddr mod 1000 seed 0x77
ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 4b @ network header + 12 => reg 2 ]
  [ payload load 2b @ transport header + 2 => reg 13 ]
  [ payload load 4b @ network header + 16 => reg 14 ]
  [ hash reg 1 = jhash(reg 2, 12, 0x77) % mod 1000 ]
  [ meta set mark with reg 1 ]

# meta mark set jhash ip saddr . ip daddr . tcp sport . tcp dport mod 65536 seed 0x0
ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 4b @ network header + 12 => reg 2 ]
  [ payload load 4b @ network header + 16 => reg 13 ]
  [ payload load 2b @ transport header + 0 => reg 14 ]
  [ payload load 2b @ transport header + 2 => reg 15 ]
  [ hash reg 1 = jhash(reg 2, 16, 0x0) % mod 65536 ]
  [ meta set mark with reg 1 ]

# meta mark set jhash ip6 saddr . ip6 daddr mod 100 seed 0x9
ip6 t c
  [ payload load 16b @ network header + 8 => reg 2 ]
  [ payload load 16b @ network header + 24 => reg 3 ]
  [ hash reg 1 = jhash(reg 2, 32, 0x9) % mod 100 ]
  [ meta set mark with reg 1 ]

# meta mark set jhash ip6 saddr . udp sport mod 4096 seed 0xabcdef01 offset 1
ip6 t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000011 ]
  [ payload load 16b @ network header + 8 => reg 2 ]
  [ payload load 2b @ transport header + 0 => reg 3 ]
  [ hash reg 1 = jhash(reg 2, 20, 0xabcdef01) % mod 4096 offset 1 ]
  [ meta set mark with reg 1 ]

# meta mark set numgen inc mod 1
ip6 t c
  [ numgen reg 1 = inc mod 1 ]
  [ meta set mark with reg 1 ]

# meta mark set numgen inc mod 4
ip6 t c
  [ numgen reg 1 = inc mod 4 ]
  [ meta set mark with reg 1 ]

# rt0 addr[1] ::1 drop
ip6 t c
  [ exthdr load ipv6 16b @ 43 + 8 => reg 1 ]
  [ cmp eq reg 1 0x00000000 0x00000000 0x00000000 0x01000000 ]
  [ immediate reg 0 drop ]

# srh sid[1] ::2 drop
ip6 t c
  [ exthdr load ipv6 16b @ 43 + 8 => reg 1 ]
  [ cmp eq reg 1 0x00000000 0x00000000 0x00000000 0x02000000 ]
  [ immediate reg 0 drop ]

# srh sid[2] 2001:db8::5 drop
ip6 t c
  [ exthdr load ipv6 16b @ 43 + 24 => reg 1 ]
  [ cmp eq reg 1 0xb80d0120 0x00000000 0x00000000 0x05000000 ]
  [ immediate reg 0 drop ]

# exthdr hbh exists drop
ip6 t c
  [ exthdr load ipv6 1b @ 0 + 0 present => reg 1 ]
  [ cmp eq reg 1 0x00000001 ]
  [ immediate reg 0 drop ]

# exthdr dst exists drop
ip6 t c
  [ exthdr load ipv6 1b @ 60 + 0 present => reg 1 ]
  [ cmp eq reg 1 0x00000001 ]
  [ immediate reg 0 drop ]

# dst nexthdr 6 drop
ip6 t c
  [ exthdr load ipv6 1b @ 60 + 0 => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ immediate reg 0 drop ]

# frag more-fragments 1 drop
ip6 t c
  [ exthdr load ipv6 1b @ 44 + 3 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x00000001 ) ^ 0x00000000 ]
  [ cmp eq reg 1 0x00000001 ]
  [ immediate reg 0 drop ]

# frag id 5 drop
ip6 t c
  [ exthdr load ipv6 4b @ 44 + 4 => reg 1 ]
  [ cmp eq reg 1 0x05000000 ]
  [ immediate reg 0 drop ]

# mh type 1 drop
ip6 t c
  [ exthdr load ipv6 1b @ 135 + 2 => reg 1 ]
  [ cmp eq reg 1 0x00000001 ]
  [ immediate reg 0 drop ]

# rt seg-left 2 drop
ip6 t c
  [ exthdr load ipv6 1b @ 43 + 3 => reg 1 ]
  [ cmp eq reg 1 0x00000002 ]
  [ immediate reg 0 drop ]

# hbh hdrlength 1 drop
ip6 t c
  [ exthdr load ipv6 1b @ 0 + 1 => reg 1 ]
  [ cmp eq reg 1 0x00000001 ]
  [ immediate reg 0 drop ]

# tcp option maxseg size 1460 drop
inet t c
  [ exthdr load tcpopt 2b @ 2 + 2 => reg 1 ]
  [ cmp eq reg 1 0x0000b405 ]
  [ immediate reg 0 drop ]

# tcp option sack left 1 drop
inet t c
  [ exthdr load tcpopt 4b @ 5 + 2 => reg 1 ]
  [ cmp eq reg 1 0x01000000 ]
  [ immediate reg 0 drop ]

# tcp option window count 7 drop
inet t c
  [ exthdr load tcpopt 1b @ 3 + 2 => reg 1 ]
  [ cmp eq reg 1 0x00000007 ]
  [ immediate reg 0 drop ]

# tcp option timestamp tsecr 9 drop
inet t c
  [ exthdr load tcpopt 4b @ 8 + 6 => reg 1 ]
  [ cmp eq reg 1 0x09000000 ]
  [ immediate reg 0 drop ]

# tcp option fastopen exists drop
inet t c
  [ exthdr load tcpopt 1b @ 34 + 0 present => reg 1 ]
  [ cmp eq reg 1 0x00000001 ]
  [ immediate reg 0 drop ]
`;

const entries = parsePayloadFile(RECORDED, 'recorded');

describe('jhash, numgen inc, IPv6 extension headers and TCP options against the programs nft 1.0.6 generated', () => {
  it('reads the 26 recorded programs', () => expect(entries.map((e) => e.family).join(' ')).toBe('ip ip ip ip ip ip ' + 'ip6 '.repeat(15) + 'inet inet inet inet inet'));
  it.each(entries.map((e) => [`[${e.family}] ${e.rule}`, e] as const))('%s: the same match, verdict and mark as the program on every packet', (_name, e) => {
    const spec = 'type filter hook input priority 0';
    const rs = parseNftText(`add table ${e.family} t\nadd chain ${e.family} t c { ${spec}; }\nadd rule ${e.family} t c ${e.rule}\n`, 'r.nft');
    const o = checkRule({ ...e, chain: 'c' }, rs, spec, 7);
    expect(o.checked).toBe(true);
    expect(o.unsupported).toBe(0);
    expect(o.samples).toBeGreaterThanOrEqual(Math.floor(SAMPLES * 0.8)); // every generated packet but some ARP (none here)
    expect(o.disagreements).toEqual([]);
  });
});
