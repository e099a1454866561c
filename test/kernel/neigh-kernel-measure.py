#!/usr/bin/env python3
# Measures what the running kernel does with a forwarded packet whose next hop never answers ARP:
# namespaces l2h (router: eth0 10.1.0.1/24, eth1 10.2.0.1/24, ip_forward 1), l2p (sender on eth0),
# l2r (silent on eth1); tracefs instance l2trace2 records kfree_skb (the NEIGH_FAILED free runs in
# timer context, so no pid filter: only NEIGH_* and IPv4 lines are printed). All removed at the end.
# Seen on 6.18: ARP who-has 10.2.0.9 tell 10.2.0.1 at 0, 1.0 and 2.2 s on eth1; ICMP host
# unreachable (type 3 code 1) to 10.1.0.2 at 3.1 s; kfree_skb at neigh_invalidate, NEIGH_FAILED.
# Run: sudo python3 test/kernel/neigh-kernel-measure.py
import os, re, socket, struct, subprocess, time, ctypes, sys
from kmeasure import sh, mac, csum, setns
T = '/sys/kernel/tracing/instances/l2trace2'
def ipv4(src, dst, proto=17, payload=b'\0' * 26, ttl=64):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0, ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
sh('for n in l2h l2p l2r; do ip netns del $n 2>/dev/null; done; true', False)
for n in ['l2h', 'l2p', 'l2r']: sh(f'ip netns add {n}')
sh('ip link add eth0 netns l2h type veth peer name pe0 netns l2p; ip link add eth1 netns l2h type veth peer name re0 netns l2r')
sh('ip -n l2h link set eth0 address 02:00:00:00:01:01; ip -n l2h link set eth1 address 02:00:00:00:02:01')
sh('ip -n l2h addr add 10.1.0.1/24 dev eth0; ip -n l2h addr add 10.2.0.1/24 dev eth1')
sh('for d in eth0 eth1 lo; do ip -n l2h link set $d up; done; ip -n l2p link set pe0 up; ip -n l2r link set re0 up')
sh('ip netns exec l2h sysctl -qw net.ipv4.ip_forward=1')
sh('ip -n l2h neigh add 10.1.0.2 lladdr 02:00:00:00:01:02 dev eth0 nud permanent')
os.makedirs(T, exist_ok=True)
open(f'{T}/events/skb/kfree_skb/enable', 'w').write('1')
open(f'{T}/trace', 'w').write('')
pid = os.fork()
if pid == 0:
    setns('l2r'); rr = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); rr.bind(('re0', 0)); rr.settimeout(0.2)
    setns('l2p'); sp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); sp.bind(('pe0', 0)); sp.settimeout(0.2)
    frame = mac('02:00:00:00:01:01') + mac('02:00:00:00:01:02') + b'\x08\x00' + ipv4('10.1.0.2', '10.2.0.9')
    t0 = time.time(); sp.send(frame)
    seen = []
    while time.time() - t0 < 5:
        for s, n in ((rr, 're0'), (sp, 'pe0')):
            try:
                b = s.recv(2000)
                if n == 'pe0' and b == frame: continue
                seen.append(f'{time.time()-t0:.2f}s {n} {b[:14].hex()} {b[14:50].hex()}')
            except Exception: pass
    print('\n'.join(seen)); os._exit(0)
os.waitpid(pid, 0)
tr = open(f'{T}/trace').read()
print('\n'.join(re.sub(r'skbaddr=\S+ |rx_sk=\S+ ', '', l.split(': ', 1)[1]) for l in tr.splitlines() if 'kfree_skb' in l and ('NEIGH' in l or 'protocol=2048' in l))[:3000])
open(f'{T}/events/skb/kfree_skb/enable', 'w').write('0')
os.rmdir(T)
sh('for n in l2h l2p l2r; do ip netns del $n 2>/dev/null; done; true', False)
