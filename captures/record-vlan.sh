#!/usr/bin/env bash
# Records captures/vlan.pcapng: real ping and UDP traffic carried over 802.1Q (VID 100) and
# QinQ (802.1ad 200 outside, 802.1Q 100 inside) between two namespaces. Tags are added in user
# space by vlan-relay.py (this kernel has no 8021q module). Captured on the veth between them.
set -euo pipefail
cd "$(dirname "$0")"
A=plvlanA B=plvlanB
cleanup() { for n in $A $B; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
cleanup
ip netns add $A; ip netns add $B
ip link add vA netns $A type veth peer name vB netns $B
for n in $A $B; do ip netns exec $n ip link set lo up; done
ip netns exec $A ip link set vA up; ip netns exec $B ip link set vB up
for n in $A $B; do ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
ip netns exec $A ip tuntap add tap100 mode tap; ip netns exec $A ip tuntap add tapq mode tap
ip netns exec $B ip tuntap add tap100 mode tap; ip netns exec $B ip tuntap add tapq mode tap
ip netns exec $A ip link set tap100 address 02:00:00:0a:01:00; ip netns exec $A ip link set tapq address 02:00:00:0a:02:00
ip netns exec $B ip link set tap100 address 02:00:00:0b:01:00; ip netns exec $B ip link set tapq address 02:00:00:0b:02:00
ip netns exec $A ip addr add 10.30.0.1/24 dev tap100; ip netns exec $B ip addr add 10.30.0.2/24 dev tap100
ip netns exec $A ip addr add 10.31.0.1/24 dev tapq; ip netns exec $B ip addr add 10.31.0.2/24 dev tapq
ip netns exec $A python3 vlan-relay.py vA tap100:8100.100 tapq:88a8.200,8100.100 > /dev/null 2>&1 &
ip netns exec $B python3 vlan-relay.py vB tap100:8100.100 tapq:88a8.200,8100.100 > /dev/null 2>&1 &
sleep 1
for n in $A $B; do ip netns exec $n ip link set tap100 up; ip netns exec $n ip link set tapq up; done
ip netns exec $B dumpcap -q -i vB -w /tmp/pl-vlan.pcapng >/dev/null 2>&1 &
sleep 2
ip netns exec $A ping -c 2 -i 0.2 10.30.0.2 >/dev/null
ip netns exec $A ping -c 2 -i 0.2 10.31.0.2 >/dev/null
ip netns exec $A python3 -c "import socket; u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b'tagged', ('10.30.0.2', 5000)); u.sendto(b'qinq', ('10.31.0.2', 5000))"
sleep 1
kill %3; sleep 1
cp /tmp/pl-vlan.pcapng vlan.pcapng
