#!/usr/bin/env python3
"""Kernel measurements for fib.test.ts (route order) and nat.test.ts (port range edges); root only.
usage: python3 test/kernel/route-nat-kernel-measure.py > test/kernel/fixtures/route-nat.json
  (after `npm run build`: it also writes `pktlife snapshot --netns ts-rn` to
  test/kernel/fixtures/route-nat-host/, taken before the nat table was added)
Namespaces ts-rn (the host/router), ts-rna (client side), ts-rnb (server side); deleted at the end.

routes: in ts-rn, prefixes of several lengths that overlap and one prefix twice with other metrics;
  `ip -j route get` for destinations under each, as the kernel chose (fib_table_lookup).
nat: ts-rn forwards 10.0.20.0/24 -> 10.0.21.0/24 with `snat to 10.0.21.1:1000-1002` for UDP; a
  datagram from each source port below, one at a time from ts-rna, each to a server address of its
  own (so no probe's binding takes a port another needs), and the port the kernel bound (the reply
  tuple's dport in /proc/net/nf_conntrack)."""
import json, os, socket, struct, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kmeasure import sh, mac, csum, setns  # noqa: E402

R, A, B = 'ts-rn', 'ts-rna', 'ts-rnb'
for n in (R, A, B): sh(f'ip netns del {n}', check=False)
for n in (R, A, B): sh(f'ip netns add {n}')
out = {'kernel': os.uname().release}
try:
    sh(f'ip -n {R} link add ra address 02:00:00:00:14:01 type veth peer name pa netns {A} address 02:00:00:00:14:02')
    sh(f'ip -n {R} link add rb address 02:00:00:00:15:01 type veth peer name pb netns {B} address 02:00:00:00:15:02')
    for n, d in ((R, 'lo'), (R, 'ra'), (R, 'rb'), (A, 'pa'), (B, 'pb')): sh(f'ip -n {n} link set {d} up')
    sh(f'ip -n {R} addr add 10.0.20.1/24 dev ra')
    sh(f'ip -n {R} addr add 10.0.21.1/24 dev rb')
    # routes: /8, /16 twice (metrics 100 on ra, 50 on rb: the lower metric wins), /24, /28
    routes = [
        '10.0.0.0/8 via 10.0.20.8 dev ra',
        '10.77.0.0/16 via 10.0.20.16 dev ra metric 100',
        '10.77.0.0/16 via 10.0.21.16 dev rb metric 50',
        '10.77.5.0/24 via 10.0.21.24 dev rb',
        '10.77.5.16/28 via 10.0.20.28 dev ra',
        '10.88.0.0/16 via 10.0.21.88 dev rb metric 10',
        '10.88.0.0/16 via 10.0.20.88 dev ra metric 20',
    ]
    # a tos route beside a plain one; policy rules: a throw route sends the lookup on to the next
    # rule, suppress_prefixlength 0 refuses main's default route so table 100's is taken
    routes += [
        '10.66.0.0/16 tos 0x10 via 10.0.21.66 dev rb',
        '10.66.0.0/16 via 10.0.20.66 dev ra',
        '10.99.0.0/16 via 10.0.20.99 dev ra',
        'default via 10.0.20.254 dev ra',
        'throw 10.99.5.0/24 table 101',
        'default via 10.0.21.101 dev rb table 101',
        'default via 10.0.21.100 dev rb table 100',
    ]
    rules = ['pref 50 to 10.99.0.0/16 lookup 101', 'pref 100 lookup main suppress_prefixlength 0', 'pref 200 lookup 100']
    # rule selectors, each rule sending 10.123/16 to a table of its own (default via 10.0.21.<table>)
    sel = {110: 'tos 0x10', 111: 'ipproto udp dport 53', 112: 'ipproto tcp sport 1000-2000', 113: 'iif ra', 114: 'oif rb',
           115: 'fwmark 0x10/0xff', 109: 'from 10.0.20.128/25'}
    # rule actions: nop goes on, goto jumps over the rules between (10.124/16: tables 117 skipped, 118
    # taken); a goto whose target pref does not exist is unresolved and skipped (10.125/16)
    rules += ['pref 20 to 10.124.0.0/16 nop', 'pref 21 to 10.124.0.0/16 goto 23', 'pref 22 to 10.124.0.0/16 lookup 117',
              'pref 23 to 10.124.0.0/16 lookup 118', 'pref 24 to 10.125.0.0/16 goto 27', 'pref 25 to 10.125.0.0/16 lookup 119']
    routes += [f'default via 10.0.21.{t} dev rb table {t}' for t in (117, 118, 119)]
    for t, m in sel.items():
        rules.append(f'pref {t - 50} to 10.123.0.0/16 {m} lookup {t}')
        routes.append(f'default via 10.0.21.{t} dev rb table {t}')
    # IPv6: prefixes that end inside a byte (/28, /36) and on byte boundaries, nested
    sh(f'ip netns exec {R} sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.ra.accept_dad=0 net.ipv6.conf.rb.accept_dad=0')
    sh(f'ip -n {R} addr add fd20::1/64 dev ra nodad')
    sh(f'ip -n {R} addr add fd21::1/64 dev rb nodad')
    routes6 = [
        'fd77::/16 via fd20::16 dev ra',
        'fd77:ab00::/24 via fd21::24 dev rb',
        'fd77:abc0::/28 via fd20::28 dev ra',
        'fd77:abcd::/32 via fd21::32 dev rb',
        'fd77:abcd:e000::/36 via fd20::36 dev ra',
    ]
    sh(f'ip netns exec {R} sysctl -qw net.ipv4.ip_forward=1')  # input lookups (iif) of a router
    for r in routes: sh(f'ip -n {R} route add {r}')
    for r in rules: sh(f'ip -n {R} rule add {r}')
    for r in routes6: sh(f'ip -n {R} -6 route add {r}')
    out['routes'] = routes
    out['rules'] = rules
    out['routes6'] = routes6
    out['route_get'] = {}
    for d in ('10.1.2.3', '10.77.9.9', '10.77.5.9', '10.77.5.20', '10.77.5.40', '10.88.1.1', '10.66.1.1', '10.66.1.1 tos 0x10',
              '10.99.5.1', '10.99.6.1', '192.0.2.9', 'fd77:abcd:e123::1', 'fd77:abcd:f000::1', 'fd77:abc5::1', 'fd77:ab10::1',
              'fd77:1::1', 'fd77:abcd:d000::1',
              '10.123.1.1', '10.123.1.1 tos 0x10', '10.123.1.1 tos 0x08', '10.123.1.1 ipproto udp dport 53', '10.123.1.1 ipproto udp dport 54',
              '10.123.1.1 ipproto tcp dport 53', '10.123.1.1 ipproto tcp sport 999', '10.123.1.1 ipproto tcp sport 1000',
              '10.123.1.1 ipproto tcp sport 2000', '10.123.1.1 ipproto tcp sport 2001', '10.123.1.1 ipproto udp sport 1500',
              '10.123.1.1 from 10.0.20.2 iif ra', '10.123.1.1 oif rb', '10.123.1.1 oif ra', '10.123.1.1 mark 0x110',
              '10.123.1.1 mark 0x111', '10.123.1.1 from 10.0.20.129 iif ra', '10.123.1.1 from 10.0.20.127 iif ra',
              '10.124.1.1', '10.125.1.1'):
        j = json.loads(sh(f'ip -n {R} -j route get {d}'))[0]
        out['route_get'][d] = {'gateway': j.get('gateway'), 'dev': j['dev']}
    host = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'route-nat-host')
    sh(f'rm -rf {host} && node {os.path.dirname(os.path.abspath(__file__))}/../../dist/cli/main.js snapshot --netns {R} {host}')
    # nat
    sh(f'ip -n {R} neigh add 10.0.20.2 lladdr 02:00:00:00:14:02 dev ra nud permanent')
    for i in range(5): sh(f'ip -n {R} neigh add 10.0.21.{10 + i} lladdr 02:00:00:00:15:02 dev rb nud permanent')
    sh(f'ip netns exec {R} sysctl -qw net.ipv4.ip_forward=1')
    nat = 'table ip tsnat {\n\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\toif "rb" udp dport 53 snat to 10.0.21.1:1000-1002\n\t}\n}\n'
    sh(f"ip netns exec {R} nft -f - <<'EOF2'\n{nat}EOF2")
    out['nat_rules'] = nat
    setns(A)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(('pa', 0))
    src = socket.inet_aton('10.0.20.2')
    out['nat'] = []
    for i, sport in enumerate((999, 1000, 1001, 1002, 1003)):
        daddr = f'10.0.21.{10 + i}'
        dst = socket.inet_aton(daddr)
        pay = b'q' * 4
        uh = struct.pack('!HHHH', sport, 53, 8 + len(pay), 0) + pay
        c = csum(src + dst + struct.pack('!BBH', 0, 17, len(uh)) + uh) or 0xffff
        uh = uh[:6] + struct.pack('!H', c) + uh[8:]
        ih = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(uh), 1, 0x4000, 64, 17, 0, src, dst)
        ih = ih[:10] + struct.pack('!H', csum(ih)) + ih[12:]
        s.send(mac('02:00:00:00:14:01') + mac('02:00:00:00:14:02') + b'\x08\x00' + ih + uh)
        time.sleep(0.1)
        ct = sh(f'ip netns exec {R} cat /proc/net/nf_conntrack')
        line = next((l for l in ct.splitlines() if f'dst={daddr} sport={sport} dport=53 ' in l), None)
        if line is None: raise SystemExit(f'no conntrack entry for sport {sport}:\n{ct}\n' + sh(f'ip netns exec {R} nstat -a'))
        # fields: ... src= dst= sport= dport= (original)  src= dst= sport= dport= (reply)
        dports = [w.split('=')[1] for w in line.split() if w.startswith('dport=')]
        out['nat'].append({'dst': daddr, 'sport': sport, 'bound': int(dports[1])})
finally:
    for n in (R, A, B): sh(f'ip netns del {n}', check=False)
json.dump(out, sys.stdout, indent=1)
print()
