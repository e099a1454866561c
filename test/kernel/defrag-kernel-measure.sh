#!/bin/bash
# measure: forwarded IPv4 fragments with and without conntrack (nf_defrag_ipv4)
set -e; MODE=$1
cleanup() { for n in fxr fxc fxs; do ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
cleanup
for n in fxr fxc fxs; do ip netns add $n; done
ip -n fxr link add eth0 type veth peer name c0 netns fxc
ip -n fxr link add eth1 type veth peer name s0 netns fxs
ip -n fxr link set eth0 address 02:00:00:00:01:01; ip -n fxc link set c0 address 02:00:00:00:01:02
ip -n fxr link set eth1 address 02:00:00:00:02:01; ip -n fxs link set s0 address 02:00:00:00:02:02
ip -n fxr addr add 10.1.0.1/24 dev eth0; ip -n fxr addr add 10.2.0.1/24 dev eth1
ip -n fxs addr add 10.2.0.2/24 dev s0
for x in "fxr eth0" "fxr eth1" "fxc c0" "fxs s0"; do set -- $x; ip -n $1 link set $2 up; done
ip -n fxr route add 198.51.100.0/24 via 10.2.0.2
ip -n fxr neigh replace 10.2.0.2 lladdr 02:00:00:00:02:02 dev eth1 nud permanent
ip netns exec fxr sysctl -qw net.ipv4.ip_forward=1
if [ "$MODE" = ct ]; then ip netns exec fxr nft add table ip f; ip netns exec fxr nft 'add chain ip f fw { type filter hook forward priority 0; policy accept; }'; ip netns exec fxr nft add rule ip f fw ct state new counter accept; fi
ip netns exec fxs tcpdump -nn -i s0 -Q in -w /tmp/fx/s0.pcap 2>/dev/null & TD=$!
sleep 1
ip netns exec fxc python3 - <<'PY'
import socket, struct, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16; return ~s & 0xffff
def ip(fo, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20+len(payload), 7, fo, 64, 17, 0, socket.inet_aton('10.1.0.2'), socket.inet_aton('198.51.100.7'))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload
l4 = bytes([0x9c,0x40,0,53,0,40,0,0]) + bytes(32)
eth = bytes.fromhex('020000000101' '020000000102' '0800')
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('c0', 0))
s.send(eth + ip(0x2000, l4[:24])); time.sleep(0.5)
print('after frag1')
s.send(eth + ip(3, l4[24:])); time.sleep(0.5)
PY
ip netns exec fxr nft list ruleset; ip netns exec fxr cat /proc/net/stat/nf_conntrack 2>/dev/null | head -3; ip netns exec fxr nstat -az 2>/dev/null | grep -i "Reasm\|FragOK\|FragCreates"; sleep 0.5; kill $TD; wait $TD 2>/dev/null || true
tcpdump -nn -v -r /tmp/fx/s0.pcap 2>/dev/null | grep -v "^\s*$"
