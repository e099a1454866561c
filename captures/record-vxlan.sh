#!/usr/bin/env bash
# Records captures/vxlan.pcap: real VXLAN traffic (dstport 4789, VNI 42) between two network
# namespaces made here (ap-ta 10.79.0.1, ap-tb 10.79.0.2 on a veth; overlay 10.80.1.0/24 and
# fd80:1::/64), captured by tcpdump on ap-ta's underlay eth0: ARP and ping, NDP and ping6, a dig
# query to a closed DNS port (ICMP port unreachable inside the tunnel) and a TCP connection
# refused, all inside. This kernel has no geneve, gre or ipip modules: those tunnels are checked
# on the corpus captures only. Root only; all traffic stays between the two namespaces.
set -euo pipefail
cd "$(dirname "$0")"
A=ap-ta B=ap-tb
TMP=$(mktemp -d /tmp/ap-vxlan.XXXXXX)
cleanup() {
  for n in $A $B; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.3
  for n in $A $B; do ip netns del $n 2>/dev/null || true; done
}
trap 'cleanup; rm -rf "$TMP"' EXIT
cleanup
ip netns add $A; ip netns add $B
ip link add eth0 netns $A type veth peer name eth0 netns $B
ax() { ip netns exec $A "$@"; }; bx() { ip netns exec $B "$@"; }
i=1
for x in ax bx; do
  $x ip link set lo up
  $x ip link set eth0 address 02:00:00:00:0c:0$i
  $x ip addr add 10.79.0.$i/24 dev eth0
  $x ip link set eth0 up
  o=$((3 - i))
  $x ip link add vx0 type vxlan id 42 remote 10.79.0.$o local 10.79.0.$i dstport 4789
  $x ip link set vx0 address 02:00:00:00:0d:0$i
  $x ip addr add 10.80.1.$i/24 dev vx0
  $x ip addr add fd80:1::$i/64 dev vx0 nodad
  $x ip link set vx0 up
  i=$((i + 1))
done
sleep 1
ax tcpdump -U -i eth0 -w "$TMP/vxlan.pcap" >/dev/null 2>&1 &
TD=$!
sleep 2
ax ping -c 2 -i 0.2 -W 1 10.80.1.2 >/dev/null
ax ping -6 -c 1 -W 1 fd80:1::2 >/dev/null || true
ax dig +tries=1 +time=1 @10.80.1.2 tunnel.pktlife.test A >/dev/null 2>&1 || true
ax python3 -c "import socket; s=socket.socket(); s.settimeout(1)
try: s.connect(('10.80.1.2', 8080))
except OSError: pass" 
sleep 1
kill $TD; wait $TD 2>/dev/null || true
cp "$TMP/vxlan.pcap" vxlan.pcap
echo "captures/vxlan.pcap: $(tcpdump -r vxlan.pcap 2>/dev/null | wc -l) frames"
