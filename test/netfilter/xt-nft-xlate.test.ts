// A host running iptables-nft with extensions nft can only list as `xt match recent`, a meter
// (hashlimit) or `meta mark set mark xor` (recorded on 6.18 with iptables 1.8.9 and nftables
// 1.0.6: fixtures/rulesets/evidence/iptables-nft-xlate/): both listings load, the rules are
// evaluated from iptables-save with everything the extensions carry, only nft's chains attached.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import type { NfTables } from '../../src/kernel/netfilter/index.js';
import { host, hooks, run, skb4 } from './helpers.js';

const D = 'fixtures/rulesets/evidence/iptables-nft-xlate';
const h = () => host({ iptables: readFileSync(`${D}/iptables.rules`, 'utf8'), nft: readFileSync(`${D}/nft.txt`, 'utf8') });

describe('iptables-nft translations in nft.txt', () => {
  it('recent and hashlimit are evaluated from iptables-save; nothing is unsupported', () => {
    const hh = h();
    const nf = hooks(hh);
    const at = (dport: number, t: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '192.0.2.9', dst: '10.0.0.1', proto: 'tcp', dport, t }), hh, 'eth0').verdict;
    // recent --set then --update --hitcount 4 within 60 s: the 4th SYN is dropped
    expect([at(22, 10), at(22, 11), at(22, 12), at(22, 13)]).toEqual(['accept', 'accept', 'accept', 'drop']);
    // hashlimit --hashlimit-above 1/sec --hashlimit-burst 2: the 3rd packet in the same second is over the limit
    expect([at(80, 20), at(80, 20), at(80, 20)]).toEqual(['accept', 'accept', 'drop']);
    expect((nf as NfTables).unsupported).toEqual([]);
  });
  it('MARK --xor-mark (saved as --set-xmark 0x4000/0x0, listed as meta mark set mark xor 0x4000) flips the bit', () => {
    const hh = h();
    const nf = hooks(hh);
    const s = skb4({ src: '192.0.2.9', dst: '10.0.0.1', proto: 'udp' });
    s.mark = 0x4001;
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, s, hh, 'eth0');
    expect(s.mark).toBe(0x0001);
  });
  it('only the chains nft lists are attached (mangle INPUT/OUTPUT/POSTROUTING are not)', () => {
    const nf = hooks(h()) as NfTables;
    expect(nf.layout(NFPROTO_IPV4, NF_INET_LOCAL_IN).join(', ')).not.toMatch(/mangle INPUT/);
    expect(nf.layout(NFPROTO_IPV4, NF_INET_PRE_ROUTING).join(', ')).toMatch(/ip mangle PREROUTING/);
  });
});
