#!/usr/bin/env bash
# Records captures/nflog.pcap (linktype NFLOG, `tcpdump -i nflog:5`) and its host snapshot
# captures/nflog-host/: netns ap-nh (the host, 10.78.0.1/24, fd78::1/64) logs with nftables
# `log group 5 prefix ...` rules in input (TCP 8080 with a mark set first, UDP 9999, ICMP and
# ICMPv6 echo requests) and output (echo replies) while a peer netns (ap-np, 10.78.0.2, fd78::2)
# pings it, connects to a listener on 8080 and sends UDP to 9999. Root only; all traffic stays
# between the two namespaces, deleted at the end.
set -euo pipefail
cd "$(dirname "$0")"
H=ap-nh P=ap-np
TMP=$(mktemp -d /tmp/ap-nflog.XXXXXX)
cleanup() {
  for n in $H $P; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.3
  for n in $H $P; do ip netns del $n 2>/dev/null || true; done
}
trap 'cleanup; rm -rf "$TMP"' EXIT
cleanup
ip netns add $H; ip netns add $P
ip link add eth0 netns $H type veth peer name eth0 netns $P
hx() { ip netns exec $H "$@"; }; px() { ip netns exec $P "$@"; }
hx ip link set lo up; px ip link set lo up
hx ip link set eth0 address 02:00:00:00:0b:01; px ip link set eth0 address 02:00:00:00:0b:02
hx ip addr add 10.78.0.1/24 dev eth0; hx ip addr add fd78::1/64 dev eth0 nodad
px ip addr add 10.78.0.2/24 dev eth0; px ip addr add fd78::2/64 dev eth0 nodad
hx ip link set eth0 up; px ip link set eth0 up
hx nft -f - <<'NFT'
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 8080 meta mark set 0x2a log prefix "pktlife-tcp " group 5
    udp dport 9999 log prefix "pktlife-udp " group 5
    icmp type echo-request log prefix "pktlife-ping " group 5
    icmpv6 type echo-request log prefix "pktlife-ping6 " group 5
  }
  chain output {
    type filter hook output priority filter; policy accept;
    icmp type echo-reply log prefix "pktlife-out " group 5
  }
}
NFT
hx python3 - <<'PY' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8080)); s.listen()
while True:
    c, _ = s.accept(); c.recv(100); c.sendall(b'hello\n'); c.close()
PY
sleep 1
hx tcpdump -U -i nflog:5 -w "$TMP/nflog.pcap" >/dev/null 2>&1 &
TD=$!
sleep 2
px ping -c 2 -i 0.2 10.78.0.1 >/dev/null
px ping -6 -c 1 fd78::1 >/dev/null
px python3 - <<'PY'
import socket, time
c = socket.create_connection(('10.78.0.1', 8080)); c.sendall(b'GET\n'); c.recv(100); c.close(); time.sleep(0.2)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b'hello nflog', ('10.78.0.1', 9999)); time.sleep(0.2)
PY
sleep 1
node ../dist/cli/main.js snapshot --netns $H nflog-host >/dev/null
kill $TD; wait $TD 2>/dev/null || true
cp "$TMP/nflog.pcap" nflog.pcap
echo "captures/nflog.pcap: $(tcpdump -r nflog.pcap 2>/dev/null | wc -l) frames"
