// The rule index and the classifier (compile.ts buildBlocks/addKey/prefixMask, classify.ts) on nft
// rule sets: a chain of >= 8 rules comparing one field is walked through an index of the masked
// value, and that walk must give the first match nft_do_chain's plain walk gives. The expected rule
// for each packet is read off the rules by hand (the first whose range holds the port or address).
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN } from '../../src/kernel/netfilter/hook.js';
import { host, hooks, run, skb4 } from './helpers.js';

const table = (family: string, rules: string[], policy = 'accept') =>
  `table ${family} t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy ${policy};\n${rules.map((r) => `\t\t${r}`).join('\n')}\n\t}\n}\n`;

/** the verdict and the rule that decided (`handle N`: pktlife numbers a text rule set's rules 1, 2, ... in order), or the policy */
function decided(nft: string, pk: Parameters<typeof skb4>[0], inDev = 'eth0'): string {
  const h = host({ nft });
  const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4(pk), h, inDev);
  const v = r.verdicts.at(-1)!;
  return v.rule ? `${v.verdict} ${v.rule}` : `${v.verdict} policy`;
}

describe('nft rule index (runs of one field, masked values)', () => {
  // widths 4, 4, 4 (unaligned: 1009 % 4 = 1), 8, 16, 3 (no power of two), 8, 2, 8, 8, 8, 8
  const ports = table('ip', [
    'tcp dport 1000-1003 drop', 'tcp dport 1004-1007 drop', 'tcp dport 1009-1012 drop', 'tcp dport 1016-1023 drop',
    'tcp dport 1024-1039 drop', 'tcp dport 1040-1042 drop', 'tcp dport 1048-1055 drop', 'tcp dport 1056-1057 drop',
    'tcp dport 1064-1071 drop', 'tcp dport 1072-1079 drop', 'tcp dport 1080-1087 drop', 'tcp dport 1088-1095 drop',
    'tcp dport != 1100-1200 reject', 'tcp dport != 1300-1400 drop',
  ]);
  const cases: [number, string][] = [
    [1000, 'drop handle 1'], [1002, 'drop handle 1'], [1003, 'drop handle 1'], [1004, 'drop handle 2'], [1007, 'drop handle 2'],
    [1008, 'drop handle 13'], // in no range up to the last rule, which takes every port outside 1100-1200
    [1009, 'drop handle 3'], [1010, 'drop handle 3'], [1012, 'drop handle 3'], [1013, 'drop handle 13'],
    [1016, 'drop handle 4'], [1023, 'drop handle 4'], [1024, 'drop handle 5'], [1039, 'drop handle 5'],
    [1040, 'drop handle 6'], [1041, 'drop handle 6'], [1042, 'drop handle 6'], [1043, 'drop handle 13'],
    [1057, 'drop handle 8'], [1058, 'drop handle 13'], [1095, 'drop handle 12'], [1150, 'drop handle 14'], [1350, 'drop handle 13'], [50, 'drop handle 13'],
  ];
  it.each(cases)('tcp dport %i: the first rule whose range holds it (classifier over 14 rules; the negated ranges bound nothing)', (port, want) => {
    expect(decided(ports, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 40000, dport: port, flags: 'S' })).toBe(want);
  });

  // widths 4 (one mask, 0xfffffffc): rules 1-3 and 5-12 aligned, rule 4 not (2013 % 4 = 1), so only
  // rules 5-12 make an index run (>= 8 rules); rule 4 is walked plainly
  const run4 = table('ip', [
    ...[2000, 2004, 2008, 2013, 2020, 2024, 2028, 2032, 2036, 2040, 2044, 2048].map((lo) => `tcp dport ${lo}-${lo + 3} drop`),
  ]);
  const run4Cases: [number, string][] = [
    [2002, 'drop handle 1'], [2012, 'accept policy'], [2013, 'drop handle 4'], [2014, 'drop handle 4'], [2016, 'drop handle 4'], [2017, 'accept policy'],
    [2020, 'drop handle 5'], [2022, 'drop handle 5'], [2023, 'drop handle 5'], [2027, 'drop handle 6'], [2046, 'drop handle 11'], [2051, 'drop handle 12'], [2052, 'accept policy'],
  ];
  it.each(run4Cases)('tcp dport %i in a run of same-width ranges (one unaligned): the first range holding it', (port, want) => {
    expect(decided(run4, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 40000, dport: port, flags: 'S' })).toBe(want);
  });

  // width 3 is no prefix: no index, every port of a range matches its rule
  const run3 = table('ip', [...Array(9).keys()].map((k) => `tcp dport ${300 + 3 * k}-${302 + 3 * k} drop`));
  it.each([[300, 'drop handle 1'], [301, 'drop handle 1'], [302, 'drop handle 1'], [304, 'drop handle 2'], [325, 'drop handle 9'], [327, 'accept policy']] as [number, string][])(
    'tcp dport %i in a run of width-3 ranges', (port, want) => {
      expect(decided(run3, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 40000, dport: port, flags: 'S' })).toBe(want);
    },
  );

  // `ip saddr & 255.255.255.0 == 10.1.N.0` (nft's form of a prefix on a masked load) makes a run;
  // `ip saddr ^ 0.0.0.1 == A` compares the address with its last bit flipped: no index key
  const masked = table('ip', [...Array(9).keys()].map((k) => `ip saddr & 255.255.255.0 == 10.1.${k}.0 drop`));
  const xored = table('ip', [...Array(9).keys()].map((k) => `ip saddr ^ 0.0.0.1 == 10.1.${k}.1 drop`));
  it.each([['10.1.3.77', 'drop handle 4'], ['10.1.0.255', 'drop handle 1'], ['10.1.8.1', 'drop handle 9'], ['10.1.9.0', 'accept policy']] as [string, string][])(
    'ip saddr %s against a run of masked compares', (src, want) => {
      expect(decided(masked, { src, dst: '10.0.0.1', proto: 'udp', sport: 5, dport: 6 })).toBe(want);
    },
  );
  it.each([['10.1.3.0', 'drop handle 4'], ['10.1.3.1', 'accept policy'], ['10.1.8.0', 'drop handle 9']] as [string, string][])(
    'ip saddr %s against a run of xor compares (10.1.N.0 ^ 0.0.0.1 = 10.1.N.1)', (src, want) => {
      expect(decided(xored, { src, dst: '10.0.0.1', proto: 'udp', sport: 5, dport: 6 })).toBe(want);
    },
  );
});

describe('verdict maps', () => {
  // nft_do_chain: a vmap element's jump pushes the return point; the rule in the jumped-to chain decides
  const nft = `table ip t {\n\tchain other {\n\t\tcounter\n\t}\n\tchain x {\n\t\tudp dport 7 drop\n\t}\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tudp dport vmap { 6 : jump x, 7 : jump x, 8 : drop }\n\t\tudp dport 9 drop\n\t}\n}\n`;
  it.each([[7, 'drop x handle 1'], [6, 'accept policy'], [8, 'drop handle 1'], [9, 'drop handle 2'], [10, 'accept policy']] as [number, string][])(
    'udp dport %i through `vmap { 6 : jump x, 7 : jump x, 8 : drop }`', (dport, want) => {
      const h = host({ nft });
      const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 5, dport }), h, 'eth0');
      const v = r.verdicts.at(-1)!;
      // a rule of a jumped-to chain is named with its chain (`x handle 1`)
      expect(`${v.verdict} ${v.rule ?? 'policy'}`).toBe(want);
    },
  );
});
