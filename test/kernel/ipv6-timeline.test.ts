// The timeline of IPv6 frames (what `pktlife` shows for each step), checked against sources outside
// the model, on the kernel-recorded scenarios ipv6, ipv6-exthdr and ipv6-paths:
// - ip6_rcv_core's step (`SRC > DST hlim H next N len L`) against tshark's fields of the same frame,
//   for every frame the kernel did not free in ip6_rcv_core;
// - the step that built each ICMPv6 answer (icmp6_send `ICMPv6 type T code C SRC > DST`,
//   icmpv6_echo_reply `echo reply SRC > DST`) against the answer the kernel put on the wire
//   (expected.ndjson: tcpdump's line for it; type and code from tcpdump's print-icmp6.c wording);
// - the routes named by ip6_route_input for blackhole / prohibit / unreachable destinations
//   against the scenario's setup.sh;
// - the explanation of each drop against what the frame was built to show (its note in frames.py).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { replay } from '../../src/replay.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { FIELDS, compare, kernelIsns, knownDisagreements, normaliseIsn, scenarios } from '../conformance/fixtures.js';
import { hasTshark, tsharkRun } from '../capture/tshark-util.js';
import { openCapture } from '../../src/capture/reader.js';

const FIX = join(import.meta.dirname, '../../fixtures/kernel');
const SCEN = ['ipv6', 'ipv6-exthdr', 'ipv6-paths', 'ipv6-ndisc', 'ipv6-ctfrag', 'ipv6-firewall', 'ipv6-tlv'];

function model(name: string): FateRecord[] {
  const d = join(FIX, name);
  const out: FateRecord[] = [];
  for (const r of replay(join(d, 'frames.pcapng'), join(d, 'host'), { checksums: 'verify' })) out.push(JSON.parse(JSON.stringify(r.record)) as FateRecord);
  normaliseIsn(out, kernelIsns(d));
  return out;
}

function notes(name: string): string[] {
  const cap = openCapture(join(FIX, name, 'frames.pcapng'));
  const out: string[] = [];
  for (const f of cap) out.push(f.comment ?? '');
  cap.close();
  return out;
}

function ifaces(name: string): string[] {
  const cap = openCapture(join(FIX, name, 'frames.pcapng'));
  const out: string[] = [];
  for (const f of cap) out.push(f.iface.name);
  cap.close();
  return out;
}

const kernel = new Map(scenarios().filter((s) => SCEN.includes(s.name)).map((s) => [s.name, s.expected]));
// Each check below registers for the scenarios it reads; one test per scenario replays it once, inside
// the test (Stryker's per-test coverage only sees what a test runs, and a mutant then costs one replay
// per scenario), and runs the checks in turn.
type Check = { what: string; fn: (recs: FateRecord[]) => void };
const checks = new Map<string, Check[]>();
function check(scenario: string, what: string, fn: (recs: FateRecord[]) => void): void {
  (checks.get(scenario) ?? checks.set(scenario, []).get(scenario)!).push({ what, fn });
}

// The same records as test/conformance/kernel-fixtures.test.ts compares (its known disagreements
// allowed), here so that a narrowed mutation run of src/kernel/ipv6 (docs/testing.md) can judge
// mutants by the IPv6 scenarios alone; the nft trace is left to the conformance test.
{
  const known = knownDisagreements();
  for (const name of SCEN) {
    check(name, 'the records agree with the kernel (fate, reason, egress, replies, verdicts, socket)', (recs) => {
      const bad: string[] = [];
      for (const exp of kernel.get(name)!) {
        if (exp.fate === 'sent') continue;
        const diffs = compare(exp, recs[exp.frame - 1], FIELDS.filter((f) => f !== 'trace'));
        for (const d of diffs) if (!known.some((k) => k.scenario === name && k.frame === exp.frame && k.field === d.field)) bad.push(`frame ${exp.frame} ${d.field}: kernel ${d.exp} | pktlife ${d.got}`);
      }
      expect(bad).toEqual([]);
    });
  }
}

// ip6_rcv_core's step against tshark's header fields: registered only where tshark is installed; the
// test 'tshark reads the IPv6 scenarios' below is then run, else reported skipped
const tsharkCache = new Map<string, string[]>();
const tsharkRows = (name: string): string[] => {
  const file = join(FIX, name, 'frames.pcapng');
  if (tsharkCache.has(name)) return tsharkCache.get(name)!;
  return tsharkCache.set(name, tsharkRun(file, ['-n', '-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'eth.type', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'ipv6.hlim', '-e', 'ipv6.nxt', '-e', 'ipv6.plen', '-E', 'occurrence=f']).trim().split('\n')).get(name)!;
};
if (hasTshark()) {
  for (const name of SCEN) {
    check(name, 'ip6_rcv_core\'s step agrees with tshark on the header fields', (recs) => {
      let checked = 0;
      for (const row of tsharkRows(name)) {
        const [no, etype, src, dst, hlim, nxt, plen] = row.split('|');
        if (etype !== '0x86dd' || !src) continue;
        const exp = kernel.get(name)![Number(no) - 1];
        // the kernel freed it in ip6_rcv_core (a header check failed): no step with the header
        if (exp.events?.some((e) => /ip6_rcv_core/.test(e.fn) || /@?ip6_rcv_core/.test(e.what))) continue;
        if (exp.fate === 'sent') continue;
        const rec = recs[Number(no) - 1];
        const step = rec.events.find((e) => e.fn === 'ip6_rcv_core');
        expect(step?.what, `${name} frame ${no}`).toBe(`${src} > ${dst} hlim ${hlim} next ${nxt} len ${plen}`);
        checked++;
      }
      expect(checked).toBeGreaterThan(10);
    });
  }
}
it.skipIf(!hasTshark())('tshark reads the IPv6 scenarios (the header-field check above runs)', () => {
  for (const name of SCEN) expect(tsharkRows(name).length, name).toBe(kernel.get(name)!.length);
});

/** tcpdump's wording of an ICMPv6 message (print-icmp6.c) -> [type, code]; null for an echo reply */
function typeCode(summary: string): [number, number] | null | undefined {
  const table: [RegExp, [number, number] | null][] = [
    [/echo reply/, null],
    [/unreachable route/, [1, 0]],
    [/unreachable prohibited/, [1, 1]],
    [/beyond scope/, [1, 2]],
    [/unreachable address/, [1, 3]],
    [/unreachable port/, [1, 4]],
    [/packet too big/, [2, 0]],
    [/time exceeded in-transit/, [3, 0]],
    [/parameter problem, erroneous/, [4, 0]],
    [/parameter problem, next header/, [4, 1]],
    [/parameter problem, option/, [4, 2]],
  ];
  for (const [re, tc] of table) if (re.test(summary)) return tc;
  return undefined;
}

{
  for (const name of ['ipv6', 'ipv6-exthdr', 'ipv6-paths']) {
    check(name, 'the step that built each ICMPv6 answer names what the kernel sent', (recs) => {
      let checked = 0;
      for (const exp of kernel.get(name)!) {
        for (const r of exp.replies ?? []) {
          const m = /^IP6 (\S+) > (\S+): ICMP6, (.*)$/.exec(r.summary);
          if (!m) continue;
          const tc = typeCode(m[3]);
          if (tc === undefined) continue; // neighbour discovery: ndisc's own steps
          const rec = recs[exp.frame - 1];
          const want = tc ? `ICMPv6 type ${tc[0]} code ${tc[1]} ${m[1]} > ${m[2]}` : `echo reply ${m[1]} > ${m[2]}`;
          const fn = tc ? 'icmp6_send' : 'icmpv6_echo_reply';
          expect(rec.events.some((e) => e.fn === fn && e.what === want), `${name} frame ${exp.frame}: ${fn} "${want}" in ${JSON.stringify(rec.events.map((e) => [e.fn, e.what]))}`).toBe(true);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(name === 'ipv6' ? 3 : 10);
    });
  }
}

{
  // blackhole fd00:8::/64, prohibit fd00:7::/64, unreachable fd00:9::/64 (ip -6 route add ...)
  const rows: [RegExp, RegExp][] = [
    [/UDP to a blackhole route/, /^blackhole route fd00:8::\/64 table main$/],
    [/UDP to a prohibit route/, /^prohibit route fd00:7::\/64 table main$/],
    [/echo request to an unreachable route/, /^no route to fd00:9::1 \(unreachable\)$/],
  ];
  check('ipv6-exthdr', 'ip6_route_input names the route that refused the packet (setup.sh)', (recs) => {
    const n = notes('ipv6-exthdr');
    for (const [note, what] of rows) {
      const i = n.findIndex((x) => note.test(x));
      expect(i, String(note)).toBeGreaterThanOrEqual(0);
      const ev = recs[i].events.filter((e) => e.fn === 'ip6_route_input');
      expect(ev.map((e) => e.what), String(note)).toEqual([expect.stringMatching(what)]);
    }
  });
}

{
  // [scenario, the frame's note, function that freed it (the kernel's kfree location), what the drop step must say]
  // the model's name for a kernel location where the kernel inlined the function (as in ipv6-exthdr-kfree.test.ts)
  const modelFn: Record<string, string> = { dst_discard_out: 'dst_discard', ip6_input_finish: 'ip6_protocol_deliver_rcu' };
  // ndisc_rcv's handlers return a reason that icmpv6_rcv frees the skb with: the kernel location is
  // icmpv6_rcv, the model's step names the handler that decided (its `fn` below)
  const nd: [string, RegExp, string, RegExp][] = [
    ['ipv6', /^NS with hop limit 64/, 'ndisc_rcv', /hop-limit: 64/],
    ['ipv6-exthdr', /^NS with a multicast target$/, 'ndisc_recv_ns', /multicast target/],
    ['ipv6-exthdr', /^DAD NS \(from ::\) to our unicast address/, 'ndisc_recv_ns', /DAD.*destination/],
    ['ipv6-exthdr', /^DAD NS with a source link-layer option$/, 'ndisc_recv_ns', /DAD.*link-layer/],
    ['ipv6-exthdr', /^NS with a 16-byte source link-layer option$/, 'ndisc_recv_ns', /link-layer address length/],
    ['ipv6-exthdr', /^NS of 20 bytes/, 'ndisc_recv_ns', /shorter than struct nd_msg/],
    ['ipv6-exthdr', /^multicast NS without source option/, 'ndisc_recv_ns', /without source link-layer/],
    ['ipv6-exthdr', /^NA with a multicast target$/, 'ndisc_recv_na', /target address is multicast/],
    ['ipv6-exthdr', /^solicited NA to ff02::1$/, 'ndisc_recv_na', /solicited NA is multicast/],
    ['ipv6-exthdr', /^NA for our own address$/, 'ndisc_recv_na', /our address fd00:1::1/],
    ['ipv6-exthdr', /^NA with a zero-length option$/, 'ndisc_recv_na', /malformed ND options/],
    ['ipv6-exthdr', /^NA for fd00:1::88/, 'ndisc_recv_na', /fd00:1::88: no neighbour entry/],
    ['ipv6-exthdr', /^NA with a 16-byte target link-layer option$/, 'ndisc_recv_na', /link-layer address length/],
    ['ipv6-exthdr', /^NA of 16 bytes$/, 'ndisc_recv_na', /shorter than struct nd_msg/],
    ['ipv6-exthdr', /^RS from ::$/, 'ndisc_recv_rs', /from ::/],
    ['ipv6-exthdr', /^RS with a zero-length option$/, 'ndisc_recv_rs', /malformed ND options/],
    ['ipv6-exthdr', /^RS with a 16-byte source option$/, 'ndisc_recv_rs', /link-layer address length/],
    ['ipv6-exthdr', /^RA from a global address$/, 'ndisc_router_discovery', /not link-local/],
    ['ipv6-exthdr', /^RA of 12 bytes$/, 'ndisc_router_discovery', /too short/],
    ['ipv6-exthdr', /^RA with a zero-length option$/, 'ndisc_router_discovery', /malformed ND options/],
    ['ipv6-ndisc', /^unsolicited NA on eth1 \(drop_unsolicited_na\)$/, 'ndisc_recv_na', /drop_unsolicited_na/],
    ['ipv6-ndisc', /^unsolicited NA for fd00:1::52 without a target link-layer option/, 'ndisc_recv_na', /fd00:1::52: no neighbour entry/],
  ];
  for (const name of [...new Set(nd.map((r) => r[0]))]) {
    check(name, 'each neighbour discovery drop explains itself', (recs) => {
      const n = notes(name);
      const dev = ifaces(name);
      for (const [, note, fn, why] of nd.filter((r) => r[0] === name)) {
        const i = n.findIndex((x) => note.test(x));
        expect(i, `frame with the note ${note}`).toBeGreaterThanOrEqual(0);
        const k = kernel.get(name)![i];
        expect(k.events?.some((e) => e.fn === 'icmpv6_rcv' && /^kfree_skb/.test(e.what)), `${note}: kernel kfree in icmpv6_rcv: ${JSON.stringify(k.events)}`).toBe(true);
        const drop = recs[i].events.find((e) => e.fn === fn && e.what === `drop ${k.reason}`);
        expect(drop, `${note}: ${JSON.stringify(recs[i].events)}`).toBeDefined();
        // the device it came in on, and why
        expect(drop!.dev, String(note)).toBe(dev[i]);
        expect(String((drop!.detail as Record<string, unknown> | undefined)?.why), `${note}: ${JSON.stringify(drop)}`).toMatch(why);
      }
    });
  }
  const rows: [string, RegExp, string, (d: Record<string, unknown>) => boolean][] = [
    ['ipv6-exthdr', /^IPv6 header cut at 30 bytes$/, 'ip6_rcv_core', (d) => /shorter than an IPv6 header/.test(String(d.why))],
    ['ipv6-exthdr', /^version 4 in an IPv6/, 'ip6_rcv_core', (d) => d.version === 4],
    ['ipv6-exthdr', /^source ::1 on the wire$/, 'ip6_rcv_core', (d) => /loopback address/.test(String(d.why))],
    ['ipv6-exthdr', /^destination ::1 on the wire$/, 'ip6_rcv_core', (d) => /loopback address/.test(String(d.why))],
    ['ipv6-exthdr', /^multicast destination with scope 0$/, 'ip6_rcv_core', (d) => /scope 0/.test(String(d.why))],
    ['ipv6-exthdr', /^multicast source$/, 'ip6_rcv_core', (d) => /multicast source/.test(String(d.why))],
    // payload length 100 in the header, 5 bytes of UDP data + 8 of header present
    ['ipv6-exthdr', /^payload length 100, 13 bytes present$/, 'ip6_rcv_core', (d) => d.payload_len === 100 && d.bytes === 13],
    ['ipv6-exthdr', /^hop-by-hop PadN of 9 bytes/, 'ip6_parse_tlv', (d) => /past its header/.test(String(d.why))],
    ['ipv6-exthdr', /^hop-by-hop header says 16 bytes, 8 present$/, 'ipv6_parse_hopopts', (d) => /beyond the packet/.test(String(d.why))],
    ['ipv6-exthdr', /^destination options header cut at 6 bytes$/, 'ipv6_destopt_rcv', (d) => /beyond the packet/.test(String(d.why))],
    ['ipv6-exthdr', /^routing header type 0, segments left 1$/, 'ipv6_rthdr_rcv', (d) => /type 0 with segments left/.test(String(d.why))],
    ['ipv6-exthdr', /^no next header \(59\)$/, 'dst_discard_out', (d) => /no next header/.test(String(d.why))],
    ['ipv6-exthdr', /^destination options then next header 253$/, 'ip6_input_finish', (d) => d.nexthdr === 253],
    ['ipv6-exthdr', /^hop limit 0 to be forwarded/, 'ip6_forward', (d) => d.hop_limit === 0],
    ['ipv6-exthdr', /^echo request of 6 bytes/, 'icmpv6_rcv', (d) => /struct icmp6hdr/.test(String(d.why))],
    ['ipv6-exthdr', /^unknown informational type 200$/, 'icmpv6_rcv', (d) => /informational type 200/.test(String(d.why))],
    ['ipv6-exthdr', /^non-last fragment of 13 bytes/, 'ipv6_frag_rcv', (d) => /multiple of 8/.test(String(d.why))],
    ['ipv6-exthdr', /^fragment at offset 65528 with 16 bytes/, 'ipv6_frag_rcv', (d) => /65535/.test(String(d.why))],
    // ip6_parse_tlv's limits (frames.py of ipv6-tlv: padding over 7 bytes in a row, PadN of 0x55s, 9 options)
    ['ipv6-tlv', /^hop-by-hop PadN of 6 with non-zero contents$/, 'ip6_parse_tlv', (d) => /PadN with non-zero contents/.test(String(d.why))],
    ['ipv6-tlv', /^hop-by-hop PadN of 8 then 6/, 'ip6_parse_tlv', (d) => /more than 7 bytes of padding/.test(String(d.why))],
    ['ipv6-tlv', /^hop-by-hop 6 Pad1 then PadN of 8$/, 'ip6_parse_tlv', (d) => /more than 7 bytes of padding/.test(String(d.why))],
    ['ipv6-tlv', /^hop-by-hop 14 Pad1$/, 'ip6_parse_tlv', (d) => /more than 7 bytes of padding/.test(String(d.why))],
    ['ipv6-tlv', /^hop-by-hop with 9 unknown skip options$/, 'ip6_parse_tlv', (d) => /more than 8 options/.test(String(d.why))],
    ['ipv6-tlv', /^destination options PadN of 6 with non-zero contents$/, 'ip6_parse_tlv', (d) => /PadN with non-zero contents/.test(String(d.why))],
    ['ipv6-tlv', /^destination options with 9 unknown skip options$/, 'ip6_parse_tlv', (d) => /more than 8 options/.test(String(d.why))],
    // 1300-byte packets to eth1 (mtu 1280): the length is the whole IPv6 packet
    ['ipv6-paths', /packet too big 1 of 8$/, 'ip6_forward', (d) => d.len === 1300 && d.mtu === 1280],
  ];
  for (const name of [...new Set(rows.map((r) => r[0]))]) {
    check(name, 'each drop explains itself with what the frame was built to show', (recs) => {
      const n = notes(name);
      for (const [, note, fn, ok] of rows.filter((r) => r[0] === name)) {
        const i = n.findIndex((x) => note.test(x));
        expect(i, `frame with the note ${note}`).toBeGreaterThanOrEqual(0);
        const k = kernel.get(name)![i];
        // the kernel freed it where the model says (its kfree_skb location)
        expect(k.events?.some((e) => e.fn === fn && /^kfree_skb/.test(e.what)), `${note}: kernel kfree in ${fn}: ${JSON.stringify(k.events)}`).toBe(true);
        const drop = recs[i].events.find((e) => e.fn === (modelFn[fn] ?? fn) && e.what.startsWith('drop '));
        expect(drop, `${note}: ${JSON.stringify(recs[i].events)}`).toBeDefined();
        expect(ok((drop!.detail ?? {}) as Record<string, unknown>), `${note}: ${JSON.stringify(drop)}`).toBe(true);
      }
    });
  }
  check('ipv6-paths', 'disable_ipv6 and otherhost drops name the device they came in on (eth2, eth0)', (recs) => {
    const n = notes('ipv6-paths');
    for (const [note, dev] of [[/disable_ipv6/, 'eth2'], [/otherhost/, 'eth0']] as const) {
      const rec = recs[n.findIndex((x) => note.test(x))];
      const drop = rec.events.find((e) => e.fn === 'ip6_rcv_core' && e.what.startsWith('drop '));
      expect(drop?.dev, JSON.stringify(rec.events)).toBe(dev);
    }
  });
}

{
  // the reassembled payload length: the headers before the fragment header plus the whole UDP
  // datagram (8 + 26 bytes of '0123456789abcdef0123456789'); the frames are the two fragments'
  const rows: [string, RegExp, string, string][] = [
    ['ipv6-exthdr', /^last fragment: reassembled UDP to :53$/, 'ip6_frag_reasm', 'reassembled 34 payload bytes from frames 27,28'],
    ['ipv6-ctfrag', /^A last fragment: reassembled/, 'nf_ct_frag6_reasm', 'reassembled 34 payload bytes from frames 1,2'],
    // + 8 bytes of destination options
    ['ipv6-paths', /^A: destination options, then last fragment/, 'nf_ct_frag6_reasm', 'reassembled 42 payload bytes from frames 1,2'],
    // + 8 hop-by-hop + 8 destination options
    ['ipv6-paths', /^B: hop-by-hop, destination options, last fragment/, 'nf_ct_frag6_reasm', 'reassembled 50 payload bytes from frames 3,4'],
    // + 24 bytes of routing header (8 + one address)
    ['ipv6-paths', /^C: routing header, last fragment/, 'nf_ct_frag6_reasm', 'reassembled 58 payload bytes from frames 5,6'],
    ['ipv6-exthdr', /^UDP from :: to closed port 54/, 'icmp6_send', 'no ICMPv6 error to an unspecified/multicast source'],
    ['ipv6-exthdr', /^ICMPv6 error to an unreachable route/, 'icmp6_send', 'no ICMPv6 error about an ICMPv6 error'],
    ['ipv6-exthdr', /^UDP to closed port 54 from fd00:1::112, error 7 of a burst$/, 'icmp6_send', 'ICMPv6 type 1 rate-limited'],
    // ip6_parse_tlv / ip6_tlvopt_unknown: the option's type, its octet (40 + 2: the first option of
    // the first extension header) and the action in its two high bits
    ['ipv6-exthdr', /^hop-by-hop unknown option 0x1e \(action 00: skip\)/, 'ip6_tlvopt_unknown', 'unknown option type 30 at octet 42: action 0'],
    ['ipv6-exthdr', /^hop-by-hop unknown option 0x5e \(action 01: discard\)/, 'ip6_tlvopt_unknown', 'unknown option type 94 at octet 42: action 1'],
    ['ipv6-exthdr', /^hop-by-hop unknown option 0x9e \(action 10: parameter problem\)/, 'ip6_tlvopt_unknown', 'unknown option type 158 at octet 42: action 2'],
    ['ipv6-exthdr', /^hop-by-hop unknown option 0xde \(action 11\) to a unicast/, 'ip6_tlvopt_unknown', 'unknown option type 222 at octet 42: action 3'],
    ['ipv6-exthdr', /^destination options unknown 0x1e \(skip\)/, 'ip6_tlvopt_unknown', 'unknown option type 30 at octet 42: action 0'],
    // ip6_mc_input: the group and the device the frame came in on
    ['ipv6-exthdr', /^UDP to another solicited-node group$/, 'ip6_mc_input', 'group ff02::1:ff00:99 not joined on eth0'],
    ['ipv6-paths', /^UDP to ff02::1:3 :53 \(a group nobody joined\)$/, 'ip6_mc_input', 'group ff02::1:3 not joined on eth0'],
    // ip6_forward decrements the hop limit the frame carried
    ['ipv6-paths', /^forward with hop limit 2: forwarded with 1$/, 'ip6_forward', 'hop limit 2 -> 1'],
    ['ipv6-paths', /^forward exactly 1280 bytes to eth1/, 'ip6_forward', 'hop limit 64 -> 63'],
    // setup.sh: default via fd00:1::2 dev eth0, and the frame came in by eth0
    ['ipv6-exthdr', /^UDP to ::$/, 'ip6_route_input', 'unicast default table main'],
    ['ipv6-exthdr', /^UDP to ::$/, 'ip6_forward', 'forwarded back out the ingress device (ndisc_send_redirect not modelled)'],
  ];
  for (const name of [...new Set(rows.map((r) => r[0]))]) {
    check(name, 'reassembly, refusal, option, group, hop limit and route steps say what happened (hand-derived from frames.py)', (recs) => {
      const n = notes(name);
      for (const [, note, fn, what] of rows.filter((r) => r[0] === name)) {
        const i = n.findIndex((x) => note.test(x));
        expect(i, `frame with the note ${note}`).toBeGreaterThanOrEqual(0);
        expect(recs[i].events.filter((e) => e.fn === fn).map((e) => e.what), `${note}: ${JSON.stringify(recs[i].events)}`).toContain(what);
      }
    });
  }
  // setup.sh of ipv6-exthdr: default via fd00:1::2 dev eth0; of ipv6-paths: fd00:2::/64 on eth1
  check('ipv6-exthdr', 'ip6_route_input details the route it took', (exthdr) => {
    const e = exthdr[notes('ipv6-exthdr').findIndex((x) => /^UDP to ::$/.test(x))].events.find((x) => x.fn === 'ip6_route_input');
    expect(e?.detail).toEqual({ table: 'main', route: 'default via fd00:1::2 dev eth0' });
  });
  check('ipv6-paths', 'ip6_route_input details the route it took', (paths) => {
    const f = paths[notes('ipv6-paths').findIndex((x) => /^forward with hop limit 2/.test(x))].events.find((x) => x.fn === 'ip6_route_input');
    expect(f?.detail).toEqual({ table: 'main', route: 'fd00:2::/64 dev eth1' });
    expect(f?.what).toBe('unicast fd00:2::/64 table main');
  });
}

// the kernel frees the skb where it drops it and does nothing more with it: the drop is the frame's
// last step (a reply built before it, e.g. the ICMPv6 error of ip6_pkt_drop, comes first)
for (const name of SCEN) {
  check(name, 'a dropped frame\'s drop step is its last', (recs) => {
    for (const r of recs) {
      if (r.fate !== 'dropped') continue;
      const last = r.events[r.events.length - 1];
      expect(last?.what, `frame ${r.frame}: ${JSON.stringify(r.events.slice(-3))}`).toBe(`drop ${r.reason}`);
    }
  });
}

describe('the IPv6 scenarios against the kernel recordings, tshark and frames.py (one replay each)', () => {
  for (const name of SCEN) {
    it(name, () => {
      const recs = model(name);
      for (const c of checks.get(name) ?? []) {
        try {
          c.fn(recs);
        } catch (e) {
          (e as Error).message = `${name}: ${c.what}: ${(e as Error).message}`;
          throw e;
        }
      }
    });
  }
});
