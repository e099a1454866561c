// iptables' number, range and port readers (xt_parse.ts), alone: what libxtables'
// xtables_strtoui (strtoul with base 0 and a maximum), xtables_parse_range / XTTYPE_*RC and
// xtables_parse_port (numbers, then getservbyname) give. iptables 1.8.9 on this machine refuses
// `--ttl-eq 09` and takes 010 and 0x1F (fixtures/rulesets/evidence/xt-parse-messages.txt).
import { describe, expect, it } from 'vitest';
import { xtPort, xtPortRange, xtRange, xtRangeLoose, xtUint } from '../../src/kernel/netfilter/xt_parse.js';

describe('iptables numbers and ranges (xtables_strtoui: strtoul with base 0)', () => {
  it('reads decimal, hex and octal within the maximum', () => {
    expect([xtUint('10', 255), xtUint('0x1F', 255), xtUint('010', 255), xtUint('0', 255), xtUint('255', 255), xtUint('256', 255), xtUint('09', 255), xtUint('-1', 255), xtUint('', 255)])
      .toEqual([10, 31, 8, 0, 255, null, null, null, null]);
    // strtoul: 0X as 0x, a lone 00 is octal 0, `0x` alone and signs are no number; the maximum is inclusive
    expect([xtUint('0X1f', 255), xtUint('00', 255), xtUint('0x', 255), xtUint('+1', 255), xtUint('0377', 255), xtUint('0400', 255), xtUint('0xff', 255), xtUint('0x100', 255), xtUint('4294967295', 0xffffffff)])
      .toEqual([31, 0, null, null, 255, null, 255, null, 4294967295]);
    // the whole word is the number: strtoul stopping early leaves garbage, which xtables_strtoui refuses
    expect([xtUint('10x1f', 255), xtUint('0x1fz', 255), xtUint('109', 255), xtUint('0807', 255), xtUint('0178', 255), xtUint('017', 255)])
      .toEqual([null, null, 109, null, null, 15]);
  });
  it('reads a, a:b, :b, a: and : as xtables_parse_range does, refusing a > b', () => {
    expect([xtRange('5', 255), xtRange('1:2', 255), xtRange(':7', 255), xtRange('7:', 255), xtRange(':', 255), xtRange('3:3', 255), xtRange('4:3', 255), xtRange('1:256', 255), xtRange('1-2', 255, '-')])
      .toEqual([[5, 5], [1, 2], [0, 7], [7, 255], [0, 255], [3, 3], null, null, [1, 2]]);
    expect([xtRangeLoose('4:3', 255), xtRangeLoose('ssh:ftp', 65535, true), xtRangeLoose(':', 65535, true), xtRangeLoose('x', 255), xtRangeLoose('7', 255)]).toEqual([[4, 3], [22, 21], [0, 65535], null, [7, 7]]);
    // the loose reading keeps a reversed range but still refuses a bad end; without ports the empty
    // upper end is the maximum given, names are not numbers, and one value is a range of one
    expect([xtRangeLoose(':', 255), xtRangeLoose('3:', 1000), xtRangeLoose(':x', 255), xtRangeLoose('x:', 255), xtRangeLoose('ssh', 255), xtRangeLoose('ssh', 65535, true), xtRangeLoose('256', 255), xtRangeLoose('', 255)])
      .toEqual([[0, 255], [3, 1000], null, null, null, [22, 22], null, null]);
    expect([xtRange('', 255), xtRange('x:1', 255), xtRange('1:x', 255), xtRange('0:0', 255), xtRange('1:2', 255, '-'), xtRange('1-2', 255), xtRange(':x', 255), xtRange('0:x', 255)])
      .toEqual([null, null, null, [0, 0], null, null, null, null]);
    expect([xtRangeLoose('0', 255), xtRangeLoose('0:0', 255), xtRangeLoose(':x', 65535, true)]).toEqual([[0, 0], [0, 0], null]);
  });
  it('resolves services by name (getservbyname) in ports and port ranges', () => {
    expect([xtPort('ssh'), xtPort('HTTPS'), xtPort('65535'), xtPort('65536'), xtPort('nosuch')]).toEqual([22, 443, 65535, null, null]);
    expect([xtPortRange('ssh:http'), xtPortRange(':ssh'), xtPortRange('ssh:'), xtPortRange('http:ssh'), xtPortRange('x:1')]).toEqual([[22, 80], [0, 22], [22, 65535], null, null]);
    expect([xtPortRange(':'), xtPortRange('22'), xtPortRange('ssh'), xtPortRange('1:x'), xtPortRange('x'), xtPortRange('5:5'), xtPortRange('0x16:0x50')]).toEqual([[0, 65535], [22, 22], [22, 22], null, null, [5, 5], [22, 80]]);
    expect([xtPort('0'), xtPort('0x50'), xtPort('Domain'), xtPort('')]).toEqual([0, 80, 53, null]);
    expect([xtPortRange(':x'), xtPortRange('0:x')]).toEqual([null, null]);
  });
});
