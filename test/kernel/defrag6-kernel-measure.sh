#!/bin/bash
# measure: forwarded IPv6 fragments with and without conntrack (nf_defrag_ipv6)
set -e; MODE=$1
cleanup() { for n in fxr fxc fxs; do ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
cleanup
for n in fxr fxc fxs; do ip netns add $n; done
ip -n fxr link add eth0 type veth peer name c0 netns fxc
ip -n fxr link add eth1 type veth peer name s0 netns fxs
ip -n fxr link set eth0 address 02:00:00:00:01:01; ip -n fxc link set c0 address 02:00:00:00:01:02
ip -n fxr link set eth1 address 02:00:00:00:02:01; ip -n fxs link set s0 address 02:00:00:00:02:02
for n in fxr fxc fxs; do ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
ip -n fxr addr add 2001:db8:1::1/64 dev eth0 nodad; ip -n fxr addr add 2001:db8:2::1/64 dev eth1 nodad
for x in "fxr eth0" "fxr eth1" "fxc c0" "fxs s0"; do set -- $x; ip -n $1 link set $2 up; done
ip -n fxr -6 route add 2001:db8:9::/64 via 2001:db8:2::2
ip -n fxr -6 neigh replace 2001:db8:2::2 lladdr 02:00:00:00:02:02 dev eth1 nud permanent
ip netns exec fxr sysctl -qw net.ipv6.conf.all.forwarding=1
if [ "$MODE" = ct ]; then ip netns exec fxr nft add table ip6 f; ip netns exec fxr nft 'add chain ip6 f fw { type filter hook forward priority 0; policy accept; }'; ip netns exec fxr nft add rule ip6 f fw ct state new counter accept; fi
ip netns exec fxs tcpdump -nn -i s0 -Q in -w /tmp/fx/s6.pcap 'ip6 and not icmp6' 2>/dev/null & TD=$!
sleep 1
ip netns exec fxc python3 - <<'PY'
import socket, struct, time
src = socket.inet_pton(socket.AF_INET6, '2001:db8:1::2'); dst = socket.inet_pton(socket.AF_INET6, '2001:db8:9::7')
l4 = bytes([0x9c,0x40,0,53,0,40,0,0]) + bytes(32)
def frag(off, m, data):
    fh = struct.pack('!BBHI', 17, 0, off | m, 0x1234)
    return struct.pack('!IHBB', 0x60000000, 8 + len(data), 44, 64) + src + dst + fh + data
eth = bytes.fromhex('020000000101' '020000000102' '86dd')
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('c0', 0))
s.send(eth + frag(0, 1, l4[:24])); time.sleep(0.5)
s.send(eth + frag(24, 0, l4[24:])); time.sleep(0.5)
PY
ip netns exec fxr nft list ruleset; ip netns exec fxr nstat -az 2>/dev/null | grep -E "Ip6(Reasm|Frag)(Reqds|OKs|Creates|Fails)|Ip6OutForwDatagrams"
sleep 0.3; kill $TD; wait $TD 2>/dev/null || true
tcpdump -nn -v -r /tmp/fx/s6.pcap 2>/dev/null
