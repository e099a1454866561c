// The nft language beyond plain matches: what `nft list ruleset` prints for binary operations,
// chain bindings, catch-all elements, objects, meters and dynamic sets. Expected forms are nft's
// own (tests/py `;ok;listed form` lines and tests/shell dumps, cited per case).
import { describe, expect, it } from 'vitest';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';
import { parseNftJson } from '../../src/kernel/netfilter/nft-json.js';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN } from '../../src/kernel/netfilter/hook.js';
import { host, hooks, run, skb4 } from './helpers.js';

const chain = (body: string, extra = '') => `table ip t {\n${extra}\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n${body}\n\t}\n}\n`;
const firstRule = (text: string) => parseNftText(text, 'nft.txt').tables[0]!.chains[0]!.rules[0]!;

describe('nft language', () => {
  it('folds constant operations as nft does (any/meta.t: `meta mark set 0xffffffc8 xor 0x16` lists as 0xffffffde)', () => {
    const r = firstRule(chain('\t\tmeta mark set 0xffffffc8 xor 0x16'));
    expect(r.exprs[0]).toEqual({ k: 'meta_set', key: 'mark', value: 0xffffffde });
    const r2 = firstRule(chain('\t\tmeta mark set 0xffffffde and 0x16'));
    expect(r2.exprs[0]).toEqual({ k: 'meta_set', key: 'mark', value: 0x16 });
  });

  it('reads a shifted, or-ed load (chains/dumps/0040mark_shift_0.nft)', () => {
    const r = firstRule(chain('\t\toif "lo" ct mark set (meta mark | 0x00000010) << 8'));
    expect(r.exprs[1]).toEqual({ k: 'ct_set', key: 'mark', value: { k: 'shift', op: 'lshift', n: 8, src: { k: 'bitwise', src: { k: 'meta', key: 'mark' }, mask: 0xffffffef, xor: 0x10 } } });
  });

  it('turns `jump { ... }` into a bound anonymous chain (chains/dumps/0041chain_binding_0.nft)', () => {
    const rs = parseNftText(chain('\t\tmeta l4proto { tcp, udp } th dport 53 jump {\n\t\t\tip saddr 10.0.0.2 drop\n\t\t}'), 'nft.txt');
    const t = rs.tables[0]!;
    expect(t.chains.map((c) => c.name)).toEqual(['c', '__chain0']);
    expect(t.chains[0]!.rules[0]!.exprs.at(-1)).toEqual({ k: 'verdict', v: 'jump', chain: '__chain0' });
    expect(t.chains[1]!.rules).toHaveLength(1);
  });

  it('refuses a rule that names a counter the table does not hold, accepts it once declared', () => {
    expect(() => parseNftText(chain('\t\tcounter name "cnt2"'), 'nft.txt')).toThrow(/nft\.txt:4:16: Error: .*counter 'cnt2' does not exist/);
    expect(() => parseNftText(chain('\t\tcounter name "cnt2"', '\tcounter cnt2 {\n\t\tpackets 0 bytes 0\n\t}\n'), 'nft.txt')).not.toThrow();
  });

  it('evaluates a vmap catch-all element only when no other element matches (sets/dumps/0064map_catchall_0.nft form)', () => {
    const h = host({ nft: chain('\t\ttcp dport vmap { 22 : accept, * : drop }') });
    const nf = hooks(h);
    const v = (dport: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', dport }), h, 'eth0').verdict;
    expect(v(22)).toBe('accept');
    expect(v(80)).toBe('drop');
  });
});

describe('dynamic sets and meters (nft_dynset on capture time)', () => {
  // expected values derived by hand from nft_dynset_eval + nft_limit_eval: a meter keeps one
  // limit per key, created full (burst 5 by default for packets); `over 2/minute burst 2` lets two
  // packets of one source through per 30 s of credit, the third inside that time is over.
  const rules = chain('\t\ttcp dport 22 meter ssh { ip saddr limit rate over 2/minute burst 2 packets } drop\n\t\tip saddr @bl drop\n\t\ttcp dport 23 add @bl { ip saddr }',
    '\tset bl {\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n\t\ttimeout 10s\n\t}\n');
  it('drops the third SSH packet of one source within the minute, not another source\'s', () => {
    const h = host({ nft: rules });
    const nf = hooks(h);
    const v = (src: string, t: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.1', proto: 'tcp', dport: 22, t }), h, 'eth0');
    expect([v('10.0.0.2', 100).verdict, v('10.0.0.2', 101).verdict, v('10.0.0.2', 102).verdict, v('10.0.0.3', 103).verdict]).toEqual(['accept', 'accept', 'drop', 'accept']);
    // 30 s later one packet's credit is back
    expect(v('10.0.0.2', 132).verdict).toBe('accept');
    expect(v('10.0.0.2', 133).unsupported).toBeUndefined();
  });
  it('matches an element added from the packet path until its timeout (the set\'s 10 s)', () => {
    const h = host({ nft: rules });
    const nf = hooks(h);
    const v = (src: string, dport: number, t: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.1', proto: 'tcp', dport, t }), h, 'eth0').verdict;
    expect(v('10.0.0.9', 80, 200)).toBe('accept');
    expect(v('10.0.0.9', 23, 201)).toBe('accept'); // adds 10.0.0.9 to @bl
    expect(v('10.0.0.9', 80, 205)).toBe('drop');
    expect(v('10.0.0.8', 80, 205)).toBe('accept');
    expect(v('10.0.0.9', 80, 212)).toBe('accept'); // expired at 211
  });
});

describe('a dynamic set\'s size (nft_dynset_new: atomic_add_unless(&set->nelems, 1, set->size))', () => {
  // a full set refuses a new element: nft_dynset_eval ends the rule with NFT_BREAK, so the rule's
  // verdict does not apply; keys already in the set are still updated. Hand-derived from the source.
  const rules = chain('\t\ttcp dport 23 add @s { ip saddr } accept\n\t\ttcp dport 23 drop',
    '\tset s {\n\t\ttype ipv4_addr\n\t\tsize 2\n\t\tflags dynamic,timeout\n\t\ttimeout 10s\n\t\telements = { 10.0.0.7 }\n\t}\n');
  it('adds one source beside the declared element, then breaks the rule for a third source until an element expires', () => {
    const h = host({ nft: rules });
    expect(parseNftText(rules, 'nft.txt').tables[0]!.sets.get('s')!.size).toBe(2);
    const nf = hooks(h);
    const v = (src: string, t: number) => run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src, dst: '10.0.0.1', proto: 'tcp', dport: 23, t }), h, 'eth0').verdict;
    expect(v('10.0.0.2', 100)).toBe('accept'); // nelems 1 -> 2
    expect(v('10.0.0.3', 101)).toBe('drop'); // full: the add fails, the next rule drops
    expect(v('10.0.0.2', 102)).toBe('accept'); // already in the set: no new element needed
    expect(v('10.0.0.3', 111)).toBe('accept'); // 10.0.0.2 expired at 110: room again
  });
  it('reads the size from nft -j too', () => {
    const rs = parseNftJson(JSON.stringify({ nftables: [{ table: { family: 'ip', name: 't' } }, { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', size: 65535, flags: ['dynamic'] } }] }), 'nft.json');
    expect(rs.tables[0]!.sets.get('s')!.size).toBe(65535);
  });
});
