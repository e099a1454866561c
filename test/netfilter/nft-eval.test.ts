// nft's semantic checks (src/evaluate.c, and the kernel's EOPNOTSUPP for bridge-only meta keys):
// rules the grammar accepts but `nft -f` refuses. Every expected message is what this machine's
// nft 1.0.6 printed for the same rule with `nft -c -f` in a private network namespace (recorded
// while writing these checks); the column is the token nft's caret points into. The second
// table holds look-alike rules nft accepts, so a check that refuses too much fails here.
import { describe, expect, it } from 'vitest';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';

const CHAIN: Record<string, string> = {
  ip: 'type filter hook input priority 0', ip6: 'type filter hook input priority 0', inet: 'type filter hook input priority 0',
  bridge: 'type filter hook input priority 0', netdev: 'type filter hook ingress device lo priority 0',
  'ip nat': 'type nat hook postrouting priority 0', 'ip6 nat': 'type nat hook postrouting priority 0', 'inet nat': 'type nat hook prerouting priority 0',
};

function load(where: string, rule: string): void {
  const family = where.split(' ')[0]!;
  parseNftText(`add table ${family} t\nadd chain ${family} t c { ${CHAIN[where]}; }\nadd rule ${family} t c ${rule}\n`, 'r.nft');
}

function refusal(where: string, rule: string): string | null {
  try { load(where, rule); return null; } catch (e) { return (e as Error).message; }
}

// [family (+ chain type), rule, nft 1.0.6's message]
const REFUSED: [string, string, string][] = [
  ['ip', 'ct zone 65536', 'Value 65536 exceeds valid range 0-65535'],
  ['ip', 'ct label 128', '128: bit 128 out of range (128 max)'],
  ['ip', 'ct expiration 1d-1h', 'Range has zero or negative size'],
  ['ip', 'tcp dport 30-20', 'Range has zero or negative size'],
  ['ip', 'ct helper "12345678901234567"', 'String exceeds maximum length of 16'],
  ['ip', 'iifname "0123456789abcdef"', 'String exceeds maximum length of 16'],
  ['ip', 'meta iifname ""', 'Empty string is not allowed'],
  ['ip', 'ct ip saddr 1.2.3.4', 'syntax error, unexpected ip'],
  ['ip', 'ct original mark 42', 'syntax error, unexpected mark'],
  ['ip', 'meta nfproto ipv4', 'meta nfproto is only useful in the inet family'],
  ['inet', 'meta nfproto ipv6 ct original ip saddr 1.2.3.4', 'conflicting protocols specified: ip6 vs. ip'],
  ['ip', 'meta l4proto { tcp, udp } tcp dport 20', 'conflicting protocols specified: udp vs. tcp'],
  ['ip', 'ct event set new or related or destroy or foobar', 'Could not parse conntrack event bits'],
  ['ip', 'limit rate 1023/second burst 10 bytes', 'syntax error, unexpected bytes, expecting packets'],
  ['ip', 'limit rate 512 kbytes/second burst 5 packets', 'syntax error, unexpected packets, expecting string or bytes'],
  ['ip', 'log level emerg group 2', 'level and group are mutually exclusive'],
  ['ip', 'log flags all group 2', 'flags and group are mutually exclusive'],
  ['ip', 'log level audit prefix "foo"', "log level audit doesn't support any further options"],
  ['ip', 'meta day "Satturday" drop', 'Could not parse Day of week of packet reception'],
  ['ip', 'meta day 7 drop', 'Value 7 exceeds valid range 0-6'],
  ['ip', 'meta hour "24:00" drop', 'wrong time format'],
  ['ip', 'meta time "meh"', 'Cannot parse date'],
  ['ip', 'queue to symhash mod 2 offset 65536', 'queue expression max value exceeds 65535'],
  ['ip', 'queue flags fanout to symhash mod 65536', 'fanout requires a range to be specified'],
  ['ip', '@th,16,1 2', 'Value 2 exceeds valid range 0-1'],
  ['ip', 'tcp option eol left 1', 'syntax error, unexpected left'],
  ['ip', 'tcp option 256 exists', 'value too large'],
  ['ip', 'tcp option @255,8,8 256', 'Value 256 exceeds valid range 0-255'],
  ['bridge', 'ether type ip6 reject with icmp host-unreachable', 'conflicting protocols specified: ip vs ip6'],
  ['bridge', 'ether type arp reject', 'cannot reject this network family'],
  ['bridge', 'ip protocol udp reject with tcp reset', 'you cannot use tcp reset with this protocol'],
  ['ip', 'reject with icmpv6 no-route', 'conflicting protocols specified: ip vs ip6'],
  ['netdev', 'meta protocol ip6 ip protocol icmp reject with icmp host-unreachable', 'conflicting protocols specified: ip6 vs. ip'],
  ['bridge', 'vlan id 4096', 'Value 4096 exceeds valid range 0-4095'],
  ['bridge', 'vlan id { 1, 2, 4, 100, 4096 }', 'Value 4096 exceeds valid range 0-4095'],
  ['bridge', 'ether type ip vlan id 1', 'conflicting protocols specified: ether vs. vlan'],
  ['inet nat', 'dnat to 1.2.3.4', 'ip or ip6 must be specified with address for inet tables.'],
  ['inet nat', 'dnat ip6 to 1.2.3.4', 'Could not resolve hostname: Address family for hostname not supported'],
  ['inet nat', 'ip6 daddr dead::beef dnat to 10.1.2.3', 'Could not resolve hostname: Address family for hostname not supported'],
  ['ip nat', 'redirect to :1234', 'transport protocol mapping is only valid after transport protocol match'],
  ['ip nat', 'snat ip to ip saddr map { 10.141.11.4 : 192.168.2.3 . 80 }', 'transport protocol mapping is only valid after transport protocol match'],
  ['ip nat', 'tcp dport 22 masquerade counter', 'Statement after terminal statement has no effect'],
  ['ip', 'drop counter', 'Statement after terminal statement has no effect'],
  ['ip', 'fib saddr . daddr oif lo', 'fib: saddr and daddr are mutually exclusive'],
  ['ip', 'fib iif . oif . daddr oif lo', 'fib: iif and oif are mutually exclusive'],
  ['ip', 'fib mark oif lo', 'fib: need either saddr or daddr'],
  ['ip', 'ip saddr vmap { 10.0.1.0-10.0.1.255 : accept, 10.0.1.1-10.0.2.255 : drop }', 'conflicting intervals specified'],
  ['ip', 'ipsec i reqid 1', 'Could not parse boolean type'],
  ['ip', 'ipsec in spnum 256 reqid 1', 'value too large'],
  ['ip', 'meta ibrname "br0"', 'Could not process rule: Operation not supported'],
  ['ip', 'osf ttl nottl name "Linux"', 'invalid ttl option'],
  ['ip', 'osf name "morethansixteenbytes"', 'String exceeds maximum length of 16'],
  ['inet', 'rt nexthop 192.168.0.1', 'cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead'],
  ['ip', 'rt ip6 nexthop fd00::1', 'ip6 nexthop will not match'],
  ['ip', 'rt nexthop fd00::1', 'Could not resolve hostname: Address family for hostname not supported'],
  ['ip', 'socket transparent 2', 'Value 2 exceeds valid range 0-1'],
  ['ip', 'tcp flags & (fin | syn | rst | ack) ! syn', 'cannot combine negation with binary expression'],
  ['ip', 'tproxy to 192.0.2.1', 'Transparent proxy support requires transport protocol match'],
  ['inet', 'meta l4proto 17 tproxy to 192.0.2.1', 'ip or ip6 must be specified with address for inet tables.'],
  ['inet', 'ip protocol 6 tproxy ip6 to [2001:db8::1]', 'conflicting protocols specified: ip vs. ip6. You must specify ip or ip6 family in tproxy statement'],
  ['ip', 'ip protocol 256', 'Protocol out of range'],
  ['ip', 'ip hdrlength 16', 'Value 16 exceeds valid range 0-15'],
  ['ip6', 'ip6 flowlabel set 1048576', 'Value 1048576 exceeds valid range 0-1048575'],
  ['ip', 'meta mark 0x100000000', 'Value 4294967296 exceeds valid range 0-4294967295'],
];

// rules nft 1.0.6 accepts that sit next to the refused ones (its evaluation passes all of them; for
// 'ether type vlan reject' and 'queue num 4-5 fanout' this machine's kernel then lacks the module: ENOENT)
const ACCEPTED: [string, string][] = [
  ['inet', 'meta nfproto ipv4 rt nexthop 192.168.0.1'],
  ['ip', 'ct helper "123456789012345"'],
  ['ip', 'ct expiration 1h-1h'],
  ['ip', 'ip saddr { 10.0.1.0-10.0.1.255, 10.0.1.1-10.0.2.255 }'],
  ['bridge', 'ether type vlan reject'],
  ['inet', 'meta l4proto tcp reject with tcp reset'],
  ['ip nat', 'meta l4proto { tcp, udp } th dport 20 dnat to 1.1.1.1:80'],
  ['ip nat', 'snat ip to ip saddr . tcp dport map { 10.141.11.4 . 20 : 192.168.2.3 . 80 }'],
  ['ip', 'tcp dport 22 tproxy to 1.2.3.4 counter'],
  ['ip', 'ip dscp vmap { cs1 : continue , cs4 : accept } counter'],
  ['ip', 'queue num 4-5 fanout'],
  ['ip', 'counter accept comment "x"'],
  ['ip', 'ct event set 1'],
];

describe('nft semantic checks (as nft 1.0.6 refuses)', () => {
  it.each(REFUSED)('[%s] %s -> %s', (where, rule, msg) => {
    const e = refusal(where, rule);
    expect(e).not.toBeNull();
    // file:line:col of the rule's line (line 3), then nft's message
    expect(e).toMatch(/^r\.nft:3:\d+: Error: /);
    expect(e!.replace(/^r\.nft:3:\d+: Error: /, '')).toBe(msg);
  });

  it.each(ACCEPTED)('[%s] accepts %s', (where, rule) => {
    expect(refusal(where, rule)).toBeNull();
  });

  it('reads a chain binding\'s rules line by line (a dump with a verdict ending each)', () => {
    const rs = parseNftText('table inet x {\n\tchain y {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tmeta l4proto { tcp, udp } th dport 53 jump {\n\t\t\tip saddr 127.0.0.0/8 counter accept\n\t\t\tip6 saddr ::1 counter accept\n\t\t}\n\t}\n}\n', 'b.nft');
    const bound = rs.tables[0]!.chains.find((c) => c.name.startsWith('__chain'))!;
    expect(bound.rules.map((r) => r.src.line)).toEqual([5, 6]);
  });
});
