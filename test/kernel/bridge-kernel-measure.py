#!/usr/bin/env python3
# Measures what the running kernel does with L2 frames (ARP, NDP, bridge): the independent
# source for the L2 unit tests' fates and reasons. Root only. Namespaces l2h (host: eth0 and
# bridge br0 with ports p1, p2), l2p (peer on eth0), l2q (peers on p1, p2); all deleted at the end.
# Per frame: kfree_skb / consume_skb events of the injecting process (private tracefs instance
# l2trace, filtered on its pid: veth receive runs in the sender's context) and what each peer
# captured. Run: sudo python3 test/kernel/bridge-kernel-measure.py
import os, re, socket, struct, subprocess, time, sys, ctypes
from kmeasure import sh, mac, csum, setns
T = '/sys/kernel/tracing/instances/l2trace'
def ip4(s): return socket.inet_aton(s)
def ip6(s): return socket.inet_pton(socket.AF_INET6, s)
def eth(d, s, t, p): return mac(d) + mac(s) + struct.pack('!H', t) + p
def arp(op, sha, spa, tha, tpa, hln=6): return struct.pack('!HHBBH', 1, 0x800, hln, 4, op) + mac(sha) + ip4(spa) + mac(tha) + ip4(tpa)
def nd(src, dst, typ, body, hop=255, code=0):
    icmp = struct.pack('!BBH', typ, code, 0) + body
    ph = ip6(src) + ip6(dst) + struct.pack('!I', len(icmp)) + b'\0\0\0\x3a'
    c = csum(ph + icmp)
    icmp = icmp[:2] + struct.pack('!H', c) + icmp[4:]
    return struct.pack('!IHBB', 0x60000000, len(icmp), 58, hop) + ip6(src) + ip6(dst) + icmp

def setup():
    sh('for n in l2h l2p l2q; do ip netns del $n 2>/dev/null; done; true', False)
    for n in ['l2h', 'l2p', 'l2q']: sh(f'ip netns add {n}')
    sh('ip link add eth0 netns l2h type veth peer name pe0 netns l2p')
    sh('ip link add p1 netns l2h type veth peer name q1 netns l2q')
    sh('ip link add p2 netns l2h type veth peer name q2 netns l2q')
    sh('ip -n l2h link set eth0 address 02:00:00:00:01:01; ip -n l2p link set pe0 address 02:00:00:00:01:02')
    sh('ip -n l2h addr add 10.1.0.1/24 dev eth0; ip -n l2h -6 addr add 2001:db8:1::1/64 dev eth0 nodad')
    sh('ip -n l2h link set eth0 up; ip -n l2p link set pe0 up; ip -n l2h link set lo up')
    sh('ip -n l2h link add br0 type bridge stp_state 0; ip -n l2h link set br0 address 02:00:00:00:0b:00')
    sh('ip -n l2h link set p1 address 02:00:00:00:0b:01 master br0; ip -n l2h link set p2 address 02:00:00:00:0b:02 master br0')
    sh('ip -n l2q link set q1 up; ip -n l2q link set q2 up; ip -n l2h link set p1 up; ip -n l2h link set p2 up; ip -n l2h link set br0 up')
    time.sleep(1.5)
    sh('ip netns exec l2h sysctl -qw net.ipv6.conf.all.accept_dad=0; for d in br0 p1 p2; do ip netns exec l2h sysctl -qw net.ipv6.conf.$d.disable_ipv6=1; done; ip netns exec l2q sysctl -qw net.ipv6.conf.all.disable_ipv6=1')
    os.makedirs(T, exist_ok=True)

def trace_on(pid):
    for e in ['kfree_skb', 'consume_skb']:
        open(f'{T}/events/skb/{e}/filter', 'w').write(f'common_pid == {pid}')
        open(f'{T}/events/skb/{e}/enable', 'w').write('1')
def trace_read():
    out = open(f'{T}/trace').read()
    open(f'{T}/trace', 'w').write('')
    out = [l.split(': ', 1)[1] for l in out.splitlines() if not l.startswith('#') and ('kfree_skb:' in l or 'consume_skb:' in l)]
    # our own packet sockets' reads and netlink notifications are not the frame's
    return [re.sub(r'(skbaddr|rx_sk)=\S+ ', '', l) for l in out if 'packet_recvmsg' not in l and 'netlink' not in l]

def run(cases):
    pid = os.fork()
    if pid == 0:
        setns('l2p')
        sp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); sp.bind(('pe0', 0))
        setns('l2q')
        sq = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); sq.bind(('q1', 0))
        sq2s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); sq2s.bind(('q2', 0))
        sq2 = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); sq2.bind(('q2', 0)); sq2.settimeout(0.3)
        sq1r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); sq1r.bind(('q1', 0)); sq1r.settimeout(0.3)
        sp2 = None
        setns('l2p')
        spr = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); spr.bind(('pe0', 0)); spr.settimeout(0.3)
        trace_on(os.getpid())
        trace_read()
        for name, where, frame, pre in cases:
            if pre: sh(pre)
            # drain
            for s in (spr, sq2, sq1r):
                try:
                    while True: s.recv(2000)
                except Exception: pass
            {'pe0': sp, 'q1': sq, 'q2': sq2s}[where].send(frame)
            time.sleep(0.3)
            ev = trace_read()
            got = []
            for s, n in ((spr, 'pe0'), (sq2, 'q2'), (sq1r, 'q1')):
                try:
                    while True:
                        b = s.recv(2000)
                        if not (n == where and b == frame): got.append(f'{n}:{"same frame" if b == frame else b[:14].hex() + ".." + b[14:62].hex()} len {len(b)}')
                except Exception: pass
            print(f'== {name}\n   trace: {ev}\n   peers got: {got}', flush=True)
        os._exit(0)
    os.waitpid(pid, 0)

H = '02:00:00:00:01:01'; P = '02:00:00:00:01:02'; Z = '00:00:00:00:00:00'
SLL = lambda m: b'\x01\x01' + mac(m)
X = b'\0' * 46
def ipv4(src, dst, proto=17, payload=b'\0' * 26):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, ip4(src), ip4(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
cases = [
 ('arp req local', 'pe0', eth('ff:ff:ff:ff:ff:ff', P, 0x806, arp(1, P, '10.1.0.2', Z, '10.1.0.1')), None),
 ('arp req other', 'pe0', eth('ff:ff:ff:ff:ff:ff', P, 0x806, arp(1, P, '10.1.0.2', Z, '10.1.0.99')), None),
 ('arp hln 8', 'pe0', eth('ff:ff:ff:ff:ff:ff', P, 0x806, arp(1, P, '10.1.0.2', Z, '10.1.0.1')[:4] + b'\x08' + arp(1, P, '10.1.0.2', Z, '10.1.0.1')[5:] + b'\0\0\0\0'), None),
 ('arp short (20 bytes)', 'pe0', eth('ff:ff:ff:ff:ff:ff', P, 0x806, arp(1, P, '10.1.0.2', Z, '10.1.0.1')[:20]), None),
 ('arp req mcast tip', 'pe0', eth('ff:ff:ff:ff:ff:ff', P, 0x806, arp(1, P, '10.1.0.2', Z, '224.0.0.1')), None),
 ('arp otherhost', 'pe0', eth('02:00:00:00:09:09', P, 0x806, arp(1, P, '10.1.0.2', Z, '10.1.0.1')), None),
 ('arp unsolicited reply unknown', 'pe0', eth(H, '02:00:00:00:01:07', 0x806, arp(2, '02:00:00:00:01:07', '10.1.0.7', H, '10.1.0.1')), None),
 ('ns mcast local', 'pe0', eth('33:33:ff:00:00:01', P, 0x86dd, nd('2001:db8:1::2', 'ff02::1:ff00:1', 135, b'\0'*4 + ip6('2001:db8:1::1') + SLL(P))), None),
 ('ns unicast local', 'pe0', eth(H, P, 0x86dd, nd('2001:db8:1::2', '2001:db8:1::1', 135, b'\0'*4 + ip6('2001:db8:1::1') + SLL(P))), None),
 ('ns mcast no sllao', 'pe0', eth('33:33:ff:00:00:01', P, 0x86dd, nd('2001:db8:1::3', 'ff02::1:ff00:1', 135, b'\0'*4 + ip6('2001:db8:1::1'))), None),
 ('ns hop 64', 'pe0', eth('33:33:ff:00:00:01', P, 0x86dd, nd('2001:db8:1::2', 'ff02::1:ff00:1', 135, b'\0'*4 + ip6('2001:db8:1::1') + SLL(P), hop=64)), None),
 ('ns other (group not joined)', 'pe0', eth('33:33:ff:00:00:99', P, 0x86dd, nd('2001:db8:1::2', 'ff02::1:ff00:99', 135, b'\0'*4 + ip6('2001:db8:1::99') + SLL(P))), None),
 ('ns other unicast to us', 'pe0', eth(H, P, 0x86dd, nd('2001:db8:1::2', '2001:db8:1::1', 135, b'\0'*4 + ip6('2001:db8:1::99') + SLL(P))), None),
 ('na unsolicited unknown', 'pe0', eth('33:33:00:00:00:01', P, 0x86dd, nd('2001:db8:1::5', 'ff02::1', 136, b'\x20\0\0\0' + ip6('2001:db8:1::5') + b'\x02\x01' + mac(P))), None),
 ('rs nonrouter (ff02::2 not joined)', 'pe0', eth('33:33:00:00:00:02', P, 0x86dd, nd('fe80::2', 'ff02::2', 133, b'\0'*4 + SLL(P))), None),
 ('ra accept_ra=1', 'pe0', eth('33:33:00:00:00:01', P, 0x86dd, nd('fe80::2', 'ff02::1', 134, struct.pack('!BBHII', 64, 0, 0, 0, 0) + SLL(P))), None),
 ('br unknown ucast flood', 'q1', eth('02:00:00:00:0c:99', '02:00:00:00:0c:01', 0x88b5, X), None),
 ('br learned dst on other port', 'q2', eth('02:00:00:00:0c:01', '02:00:00:00:0c:02', 0x88b5, X), None),
 ('br dst on ingress port', 'q1', eth('02:00:00:00:0c:05', '02:00:00:00:0c:01', 0x88b5, X), 'ip netns exec l2h bridge fdb add 02:00:00:00:0c:05 dev p1 master static'),
 ('br broadcast non-ip', 'q1', eth('ff:ff:ff:ff:ff:ff', '02:00:00:00:0c:01', 0x88b5, X), None),
 ('br to bridge mac non-ip', 'q1', eth('02:00:00:00:0b:00', '02:00:00:00:0c:01', 0x88b5, X), None),
 ('br bad ip header, bridge-nf-call-iptables=1', 'q1', eth('02:00:00:00:0c:99', '02:00:00:00:0c:01', 0x800, b'\x45' + b'\0' * 45), None),
 ('br good ip, unknown dst', 'q1', eth('02:00:00:00:0c:99', '02:00:00:00:0c:01', 0x800, ipv4('10.9.0.2', '10.9.0.3')), None),
 ('br to another port\'s MAC (local fdb entry), good ip', 'q1', eth('02:00:00:00:0b:02', '02:00:00:00:0c:01', 0x800, ipv4('10.9.0.2', '10.9.0.1')), None),
 ('br mtu: 1500-byte payload +1 to p2 with mtu 1400', 'q1', eth('ff:ff:ff:ff:ff:ff', '02:00:00:00:0c:01', 0x88b5, b'\0' * 1415), 'ip -n l2h link set p2 mtu 1400'),
 ('br invalid src', 'q1', eth('02:00:00:00:0c:99', '01:00:00:00:0c:01', 0x88b5, X), None),
 ('br pause', 'q1', eth('01:80:c2:00:00:01', '02:00:00:00:0c:01', 0x8808, X), None),
 ('br stp bpdu, stp off', 'q1', eth('01:80:c2:00:00:00', '02:00:00:00:0c:01', 0x0026, X), None),
 ('br lldp', 'q1', eth('01:80:c2:00:00:0e', '02:00:00:00:0c:01', 0x88cc, X), None),
 ('br no flood target', 'q1', eth('02:00:00:00:0c:98', '02:00:00:00:0c:01', 0x88b5, X), 'ip netns exec l2h bridge link set dev p2 flood off'),
 ('br disabled port', 'q1', eth('02:00:00:00:0c:98', '02:00:00:00:0c:01', 0x88b5, X), 'ip netns exec l2h bridge link set dev p1 state 0'),
]
setup()
try:
    run(cases)
finally:
    for e in ['kfree_skb', 'consume_skb']:
        try: open(f'{T}/events/skb/{e}/enable', 'w').write('0')
        except Exception: pass
    sh('for n in l2h l2p l2q; do ip netns del $n 2>/dev/null; done; true', False)
    try: os.rmdir(T)
    except Exception as e: print('rmdir', e)
