#!/usr/bin/env python3
# Measures what the running kernel does with multicast UDP for groups an application joined:
# namespaces mch (host: eth0 10.7.0.1/24, fd00:7::1/64; a UDP socket on 0.0.0.0:5353 joined to
# 224.0.0.251 on eth0, one on [::]:5353 joined to ff02::fb on eth0) and mcp (sender on the peer
# end pe0); tracefs instance mctrace records kfree_skb / consume_skb of this process's sends.
# Prints `ip -j maddr show` of the host (what `pktlife snapshot` saves as ip-maddr.json) and, per
# datagram, what the sockets read and the skb frees. All removed at the end.
# Run: sudo python3 test/kernel/mcast-kernel-measure.py [SNAPSHOT_DIR]   (from the repository root, built;
# SNAPSHOT_DIR gets `pktlife snapshot --netns mch` taken with the sockets open)
import os, re, socket, struct, subprocess, sys, time, ctypes, json
from kmeasure import sh, mac, csum, setns
T = '/sys/kernel/tracing/instances/mctrace'
def udp4(src, dst, sport, dport, payload):
    u = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 17, len(u))
    c = csum(ph + u) or 0xffff
    u = u[:6] + struct.pack('!H', c) + u[8:]
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(u), 1, 0, 1, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + u
def udp6(src, dst, sport, dport, payload):
    s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    u = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ph = s6 + d6 + struct.pack('!I', len(u)) + b'\0\0\0\x11'
    u = u[:6] + struct.pack('!H', csum(ph + u) or 0xffff) + u[8:]
    return struct.pack('!IHBB', 0x60000000, len(u), 17, 255) + s6 + d6 + u
def mcmac4(a): b = socket.inet_aton(a); return bytes([1, 0, 0x5e, b[1] & 0x7f, b[2], b[3]])
def mcmac6(a): b = socket.inet_pton(socket.AF_INET6, a); return bytes([0x33, 0x33]) + b[12:]
sh('for n in mch mcp; do ip netns del $n 2>/dev/null; done; true', False)
for n in ['mch', 'mcp']: sh(f'ip netns add {n}')
sh('ip link add eth0 netns mch type veth peer name pe0 netns mcp')
sh('ip -n mch link set eth0 address 02:00:00:00:07:01; ip -n mcp link set pe0 address 02:00:00:00:07:02')
sh('ip netns exec mch sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.eth0.accept_dad=0')
sh('ip -n mch addr add 10.7.0.1/24 dev eth0; ip -n mch addr add fd00:7::1/64 dev eth0 nodad')
sh('ip -n mch link set lo up; ip -n mch link set eth0 up; ip -n mcp link set pe0 up')
time.sleep(0.5)
# the host's sockets, made in the host netns from this process
orig = os.open('/proc/self/ns/net', os.O_RDONLY)
setns('mch')
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s4.bind(('0.0.0.0', 5353))
ifidx = socket.if_nametoindex('eth0')
s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack('4s4si', socket.inet_aton('224.0.0.251'), socket.inet_aton('0.0.0.0'), ifidx) if False else socket.inet_aton('224.0.0.251') + socket.inet_aton('10.7.0.1'))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s6.bind(('::', 5353))
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, 'ff02::fb') + struct.pack('@I', ifidx))
for s in (s4, s6): s.setblocking(False)
print('ip -j maddr show (host):')
print(sh('ip -j maddr show'))
if len(sys.argv) > 1:
    # the host snapshot with these sockets open (fixtures/host-samples/mcast)
    print(sh(f'node dist/cli/main.js snapshot --netns mch {sys.argv[1]}'))
setns('mcp')
sp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); sp.bind(('pe0', 0))
os.makedirs(T, exist_ok=True)
for e in ('kfree_skb', 'consume_skb'): open(f'{T}/events/skb/{e}/enable', 'w').write('1')
open(f'{T}/set_event_pid', 'w').write(str(os.getpid()))
HM, PM = mac('02:00:00:00:07:01'), mac('02:00:00:00:07:02')
cases = [
    ('v4 joined group, bound port', mcmac4('224.0.0.251') + PM + b'\x08\x00' + udp4('10.7.0.2', '224.0.0.251', 5353, 5353, b'q1')),
    ('v4 joined group, port without socket', mcmac4('224.0.0.251') + PM + b'\x08\x00' + udp4('10.7.0.2', '224.0.0.251', 5353, 9999, b'q2')),
    ('v4 group not joined (LLMNR 224.0.0.252)', mcmac4('224.0.0.252') + PM + b'\x08\x00' + udp4('10.7.0.2', '224.0.0.252', 5355, 5355, b'q3')),
    ('v4 all-hosts 224.0.0.1, port 5353', mcmac4('224.0.0.1') + PM + b'\x08\x00' + udp4('10.7.0.2', '224.0.0.1', 5353, 5353, b'q4')),
    ('v6 joined group ff02::fb, bound port', mcmac6('ff02::fb') + PM + b'\x86\xdd' + udp6('fd00:7::2', 'ff02::fb', 5353, 5353, b'q5')),
    ('v6 group not joined ff02::1:3', mcmac6('ff02::1:3') + PM + b'\x86\xdd' + udp6('fd00:7::2', 'ff02::1:3', 5355, 5355, b'q6')),
    ('v6 joined group, port without socket', mcmac6('ff02::fb') + PM + b'\x86\xdd' + udp6('fd00:7::2', 'ff02::fb', 5353, 9999, b'q7')),
]
for name, frame in cases:
    open(f'{T}/trace', 'w').write('')
    sp.send(frame)
    time.sleep(0.2)
    got = []
    for s, n in ((s4, 'udp 0.0.0.0:5353'), (s6, 'udp [::]:5353')):
        try:
            d, peer = s.recvfrom(100); got.append(f'{n} read {d!r} from {peer[0]}')
        except BlockingIOError: pass
    tr = open(f'{T}/trace').read()
    frees = [re.sub(r'skbaddr=\S+ |rx_sk=\S+ |dev=\S+ ', '', l.split(': ', 1)[1]) for l in tr.splitlines() if ('kfree_skb' in l or 'consume_skb' in l) and 'tpacket_rcv' not in l and 'packet_rcv' not in l]
    print(f'== {name}: sockets: {got or "nothing"}; frees: {frees or "none"}')
for e in ('kfree_skb', 'consume_skb'): open(f'{T}/events/skb/{e}/enable', 'w').write('0')
open(f'{T}/set_event_pid', 'w').write('')
os.rmdir(T)
os.close(orig)
sh('for n in mch mcp; do ip netns del $n 2>/dev/null; done; true', False)
