// Two refusals nft -f makes that the grammar alone does not: the icmp type a field needs (nft's
// payload_gen_icmp_dependency) and the hooks a fib expression may run at (the kernel's
// nft_fib_validate, through jumps: nft_table_validate). Every expected line:col and message is
// what this machine's nft 1.0.6 printed for the same file in a private network namespace
// (`nft -c -f` for the icmp rules; a real `nft -f` on Linux 6.18 for fib, whose refusal comes from
// the kernel at commit and which `nft -c` does not see), recorded while writing these checks.
import { describe, expect, it } from 'vitest';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';

/** the file nft was given: the rule on line 4, column 3 */
function file(family: string, hook: string, rule: string): string {
  const dev = family === 'netdev' ? ' device lo' : '';
  return `table ${family} t {\n chain c {\n  type filter hook ${hook}${dev} priority 0;\n  ${rule}\n }\n}\n`;
}

function outcome(text: string): string {
  try {
    parseNftText(text, 'f.nft');
    return 'loads';
  } catch (e) {
    return (e as Error).message;
  }
}

// [family, rule, nft 1.0.6: "line:col: message" or "loads"]
const ICMP: [string, string, string][] = [
  ['ip', 'icmp code != 1 icmp type 2 icmp mtu 5', '4:30: incompatible icmp match: rule has 2, need 3'],
  ['ip', 'icmp type 2 icmp mtu 5', '4:15: incompatible icmp match: rule has 2, need 3'],
  ['ip', 'icmp type 3 icmp mtu 5', 'loads'],
  ['ip', 'icmp type echo-request icmp id 1', 'loads'],
  ['ip', 'icmp type echo-reply icmp id 1', 'loads'],
  ['ip', 'icmp type 2 icmp id 1', '4:15: incompatible icmp match: rule has 2, need 8'],
  ['ip', 'icmp type 13 icmp id 1', '4:16: incompatible icmp match: rule has 13, need 8'],
  ['ip', 'icmp type 2 icmp gateway 1.2.3.4', '4:15: incompatible icmp match: rule has 2, need 5'],
  ['ip', 'icmp type { 2, 4 } icmp mtu 5', '4:22: incompatible icmp match: rule has 4, need 3'],
  ['ip', 'icmp type { 8, 0 } icmp id 1', 'loads'],
  ['ip', 'icmp type != 2 icmp mtu 5', 'loads'],
  ['ip', 'icmp mtu 5 icmp type 2', 'loads'],
  ['ip', 'icmp mtu 5 icmp id 2', '4:14: incompatible icmp match: rule has 3, need 8'],
  ['ip', 'icmp type 3 icmp mtu 5 icmp id 1', '4:26: incompatible icmp match: rule has 3, need 8'],
  ['ip', 'icmp type 0 icmp mtu 5', '4:15: incompatible icmp match: rule has 8, need 3'],
  ['ip', 'icmp type 8 icmp type 2 icmp mtu 5', '4:27: incompatible icmp match: rule has 2, need 3'],
  ['ip6', 'icmpv6 type 1 icmpv6 mtu 1', '4:17: incompatible icmp match: rule has 1, need 2'],
  ['ip6', 'icmpv6 type packet-too-big icmpv6 mtu 1', 'loads'],
  ['ip6', 'icmpv6 type 1 icmpv6 id 1', '4:17: incompatible icmp match: rule has 1, need 128'],
  ['ip6', 'icmpv6 type echo-reply icmpv6 id 1', 'loads'],
  ['ip6', 'icmpv6 type 129 icmpv6 sequence 1', 'loads'],
  ['ip6', 'icmpv6 type { 129, 1 } icmpv6 id 1', '4:26: incompatible icmp match: rule has 1, need 128'],
  ['ip6', 'icmpv6 type 1 icmpv6 max-delay 1', '4:17: incompatible icmp match: rule has 1, need 130'],
  ['ip6', 'icmpv6 type mld-listener-report icmpv6 max-delay 1', '4:35: incompatible icmp match: rule has 131, need 130'],
  ['ip6', 'icmpv6 type mld-listener-query icmpv6 max-delay 1', 'loads'],
  ['ip6', 'icmpv6 type 1 icmpv6 param-problem 1', '4:17: incompatible icmp match: rule has 1, need 4'],
  ['inet', 'icmp type 2 icmp mtu 5', '4:15: incompatible icmp match: rule has 2, need 3'],
  ['inet', 'meta l4proto icmp icmp type 2 icmp mtu 5', '4:33: incompatible icmp match: rule has 2, need 3'],
  ['bridge', 'icmp type 2 icmp mtu 5', '4:15: incompatible icmp match: rule has 2, need 3'],
];

describe('icmp field dependencies (payload_gen_icmp_dependency, nft 1.0.6)', () => {
  for (const [family, rule, want] of ICMP) {
    it(`${family}: ${rule}`, () => {
      const got = outcome(file(family, 'input', rule));
      expect(got === 'loads' ? got : got.replace(/^f\.nft:(\d+:\d+): Error: /, '$1: ')).toBe(want);
    });
  }
});

const EOPNOTSUPP = 'Could not process rule: Operation not supported';

describe('fib hooks (nft_fib_validate, measured with nft -f on Linux 6.18)', () => {
  // `fib daddr . oif type local` (ADDRTYPE with the oif flag): output, postrouting, forward only
  for (const [family, hook, want] of [
    ['ip', 'prerouting', `4:3: ${EOPNOTSUPP}`], ['ip6', 'prerouting', `4:3: ${EOPNOTSUPP}`], ['ip', 'input', `4:3: ${EOPNOTSUPP}`],
    ['ip', 'output', 'loads'], ['ip', 'postrouting', 'loads'], ['ip', 'forward', 'loads'], ['netdev', 'ingress', `4:3: ${EOPNOTSUPP}`],
  ] as const) {
    it(`${family} ${hook}: fib daddr . oif type local`, () => {
      const got = outcome(file(family, hook, 'fib daddr . oif type local'));
      expect(got === 'loads' ? got : got.replace(/^f\.nft:(\d+:\d+): Error: /, '$1: ')).toBe(want);
    });
  }

  it('refuses at the jump that reaches the fib rule from a base chain whose hook it may not run at', () => {
    const via = (hook: string) => `table ip t {\n chain u {\n  fib daddr . oif type local\n }\n chain c {\n  type filter hook ${hook} priority 0;\n  jump u\n }\n}\n`;
    expect(outcome(via('prerouting'))).toBe(`f.nft:7:3: Error: ${EOPNOTSUPP}`);
    expect(outcome(via('output'))).toBe('loads');
    // a chain no base chain reaches is not checked (nft_chain_validate_hooks passes a non-base chain)
    expect(outcome('table ip t {\n chain u {\n  fib daddr . oif type local\n }\n}\n')).toBe('loads');
  });

  it('points at the `add rule` command as nft does', () => {
    expect(outcome('add table ip t\nadd chain ip t c { type filter hook prerouting priority 0; }\nadd rule ip t c fib daddr . oif type local\n')).toBe(`f.nft:3:1: Error: ${EOPNOTSUPP}`);
  });

  // every fib form x hook as `nft -f` loaded it on Linux 6.18 (fixtures/rulesets/evidence/nft-fib-hooks.txt)
  const HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
  const MEASURED: [string, string][] = [
    ['fib daddr oif exists', 'ok ok ok NO NO'],
    ['fib daddr . iif oif exists', 'ok ok ok NO NO'],
    ['fib daddr oifname "lo"', 'ok ok ok NO NO'],
    ['fib daddr type local', 'ok ok ok ok ok'],
    ['fib daddr . iif type local', 'ok ok ok NO NO'],
    ['fib daddr . oif type local', 'NO NO ok ok ok'],
    ['fib saddr . mark oif exists', 'ok ok ok NO NO'],
  ];
  for (const [rule, want] of MEASURED) {
    it(`${rule}: ${want}`, () => {
      const got = HOOKS.map((h) => (outcome(file('ip', h, rule)) === 'loads' ? 'ok' : 'NO')).join(' ');
      expect(got).toBe(want);
    });
  }
});
