// jhash and numgen inc (nft-stateful.ts) against the kernel's algorithm: no tests/py rule evaluates
// them where the interpreter can compare (the corpus uses them for ct mark and nat maps); likewise
// the indexed routing-header addresses `rt0 addr[1]`, `srh sid[N]` (nft-exthdr.ts indexedAddr). These
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
`;

const entries = parsePayloadFile(RECORDED, 'recorded');

describe('jhash, numgen inc and indexed routing-header addresses against the programs nft 1.0.6 generated', () => {
  it('reads the thirteen recorded programs', () => expect(entries.map((e) => e.family)).toEqual(['ip', 'ip', 'ip', 'ip', 'ip', 'ip', 'ip6', 'ip6', 'ip6', 'ip6', 'ip6', 'ip6', 'ip6']));
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
