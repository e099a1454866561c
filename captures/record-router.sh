#!/usr/bin/env bash
# Records captures/router-any.pcap and its host snapshot captures/router-host/: a small home
# router in network namespaces, recorded the way a user would (tcpdump -i any -w on the router,
# then pktlife snapshot --netns). Root only; all traffic stays between the namespaces made here,
# which are deleted at the end. Needs dnsmasq, busybox (udhcpc), dig, tcpdump, nft, python3.
#
#   snlan (DHCP client)  eth0 ──── lan0  snrtr (router)  wan0 ──── eth0  snwan (server)
#   lease from dnsmasq         10.77.1.1/24 fd77:1::1/64   10.77.2.1/24 fd77:2::1/64   10.77.2.2 fd77:2::2
#
# The router runs dnsmasq (DHCP on lan0, DNS with local names), forwards with NAT (masquerade out
# of wan0) and a forward filter (established + lan->wan only, policy drop).
set -euo pipefail
cd "$(dirname "$0")"
R=snrtr L=snlan W=snwan
TMP=/tmp/sn-router
cleanup() {
  for n in $R $L $W; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.3
  for n in $R $L $W; do ip netns del $n 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
rm -rf $TMP; mkdir -p $TMP
ip netns add $R; ip netns add $L; ip netns add $W
ip link add lan0 netns $R type veth peer name eth0 netns $L
ip link add wan0 netns $R type veth peer name eth0 netns $W
rx() { ip netns exec $R "$@"; }; lx() { ip netns exec $L "$@"; }; wx() { ip netns exec $W "$@"; }
for n in $R $L $W; do ip netns exec $n ip link set lo up; done
rx ip link set lan0 address 02:77:00:00:01:01; rx ip link set wan0 address 02:77:00:00:02:01
lx ip link set eth0 address 02:77:00:00:01:64; wx ip link set eth0 address 02:77:00:00:02:02
rx ip addr add 10.77.1.1/24 dev lan0; rx ip addr add fd77:1::1/64 dev lan0 nodad
rx ip addr add 10.77.2.1/24 dev wan0; rx ip addr add fd77:2::1/64 dev wan0 nodad
wx ip addr add 10.77.2.2/24 dev eth0; wx ip addr add fd77:2::2/64 dev eth0 nodad
lx ip addr add fd77:1::2/64 dev eth0 nodad
rx ip link set lan0 up; rx ip link set wan0 up; lx ip link set eth0 up; wx ip link set eth0 up
rx sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# the server side routes the LAN back through the router (so a connection from outside reaches the filter)
wx ip route add 10.77.1.0/24 via 10.77.2.1; wx ip -6 route add fd77:1::/64 via fd77:2::1
lx ip -6 route add default via fd77:1::1
rx nft -f - <<'NFT'
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "wan0" masquerade
  }
}
table inet filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan0" oifname "wan0" accept
  }
}
NFT
# DHCP + DNS on the LAN side (local names only, no upstream)
rx dnsmasq --conf-file=/dev/null --keep-in-foreground --bind-interfaces --interface=lan0 --except-interface=lo \
  --dhcp-range=10.77.1.100,10.77.1.150,12h --dhcp-authoritative --dhcp-leasefile=$TMP/leases \
  --no-resolv --no-hosts --address=/router.lan/10.77.1.1 --host-record=www.example.test,10.77.2.2 \
  --pid-file=$TMP/dnsmasq.pid --log-facility=$TMP/dnsmasq.log &
# the server: TCP 8080 (answers one line), nothing on 81 (RST) nor UDP 9998 (port unreachable)
wx python3 - <<'PY' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8080)); s.listen()
while True:
    c, _ = s.accept(); c.recv(100); c.sendall(b'hello from the server\n'); c.close()
PY
cat > $TMP/udhcpc.sh <<'SH'
#!/bin/sh
# udhcpc's event script: configure the lease (no resolv.conf: the host's is not ours to touch)
case "$1" in
  bound|renew) ip -4 addr flush dev "$interface" scope global; ip addr add "$ip/${mask:-24}" dev "$interface"
               [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface" ;;
esac
exit 0
SH
chmod +x $TMP/udhcpc.sh
sleep 1
# the capture, as a user would take it on the router
rx tcpdump -U -i any -w $TMP/router-any.pcap >/dev/null 2>&1 &
TCPD=$!
sleep 2
lx busybox udhcpc -i eth0 -f -q -n -t 5 -s $TMP/udhcpc.sh >/dev/null 2>&1
LEASE=$(lx ip -4 -o addr show dev eth0 | awk '{print $4}')
echo "lease: $LEASE"
lx dig +time=2 +tries=1 @10.77.1.1 www.example.test A >/dev/null
lx dig +time=2 +tries=1 +tcp @10.77.1.1 router.lan A >/dev/null
lx ping -c 2 -i 0.2 10.77.1.1 >/dev/null            # the router itself
lx ping -c 2 -i 0.2 10.77.2.2 >/dev/null            # forwarded, masqueraded
lx ping -6 -c 2 -i 0.2 -W 2 fd77:2::2 >/dev/null || echo "ping6 failed" >&2  # forwarded (IPv6, no NAT)
lx python3 - <<'PY'
import socket, time
c = socket.create_connection(('10.77.2.2', 8080)); c.sendall(b'GET\n'); c.recv(100); c.close(); time.sleep(0.3)
try: socket.create_connection(('10.77.2.2', 81), timeout=1)   # RST from the server, forwarded back
except OSError: pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b'nobody', ('10.77.2.2', 9998)); time.sleep(0.3)     # ICMP port unreachable, NAT undone in it
PY
# from outside: the forward filter drops a new connection to the LAN (silence), and the router
# answers a SYN to its own closed port with a RST
wx ping -c 1 -W 1 ${LEASE%/*} >/dev/null || true
wx python3 -c "
import socket
try: socket.create_connection(('10.77.2.1', 22), timeout=1)
except OSError: pass"
sleep 1
kill $TCPD; wait $TCPD 2>/dev/null || true
cp $TMP/router-any.pcap router-any.pcap
# the host snapshot, taken afterwards while dnsmasq still runs
if [ -f ../dist/cli/main.js ]; then
  rm -rf router-host; node ../dist/cli/main.js snapshot --netns $R router-host
else
  echo "pktlife not built: run npm run build first" >&2; exit 1
fi
tcpdump -nn -r router-any.pcap 2>/dev/null | wc -l | sed 's/^/frames: /'
