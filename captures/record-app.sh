#!/usr/bin/env bash
# Records captures/app.pcap (and its host snapshot captures/app-host/): real application
# clients and servers in two network namespaces made here. ap-h = the host modelled (dnsmasq
# as DNS, DHCPv4, DHCPv6 and TFTP server), ap-c = a client running dig (UDP and TCP, A, AAAA,
# MX, TXT, SRV, PTR, NXDOMAIN, mDNS 5353 and LLMNR 5355 queries), dhclient (DHCPv4 DORA and
# DHCPv6 solicit), busybox tftp, logger (syslog to a closed port: ICMP port unreachable) and
# busybox-less NTP client packets from python (ntpd is not installed). tcpdump -U on ap-h's
# eth0. Root only; all traffic stays between the two namespaces, deleted at the end.
set -euo pipefail
cd "$(dirname "$0")"
H=ap-h C=ap-c
TMP=$(mktemp -d /tmp/ap-app.XXXXXX)
cleanup() {
  for n in $H $C; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.3
  for n in $H $C; do ip netns del $n 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
cleanup; TMP=$(mktemp -d /tmp/ap-app.XXXXXX)
ip netns add $H; ip netns add $C
ip link add eth0 netns $H type veth peer name eth0 netns $C
hx() { ip netns exec $H "$@"; }; cx() { ip netns exec $C "$@"; }
hx ip link set lo up; cx ip link set lo up
hx ip link set eth0 address 02:00:00:00:0a:01; cx ip link set eth0 address 02:00:00:00:0a:02
hx ip addr add 10.77.0.1/24 dev eth0; hx ip addr add fd77::1/64 dev eth0 nodad
cx ip addr add 10.77.0.2/24 dev eth0
hx ip link set eth0 up; cx ip link set eth0 up
sleep 2   # link-local addresses (DHCPv6 needs the client's)
mkdir -p "$TMP/tftp"; printf 'pktlife tftp test file\n' > "$TMP/tftp/hello.txt"
hx dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --interface=eth0 --except-interface=lo \
  --pid-file="$TMP/dnsmasq.pid" --dhcp-leasefile="$TMP/leases" --log-facility="$TMP/dnsmasq.log" \
  --address=/www.tcpdump.org/192.0.2.10 --address=/www.tcpdump.org/2001:db8::10 \
  --mx-host=pktlife.test,mail.pktlife.test,10 --txt-record=pktlife.test,"v=pktlife test" \
  --srv-host=_ntp._udp.pktlife.test,ntp.pktlife.test,123,0,5 --ptr-record=10.2.0.192.in-addr.arpa,www.tcpdump.org \
  --dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,1h --dhcp-range=fd77::100,fd77::1ff,64,1h \
  --enable-tftp --tftp-root="$TMP/tftp" --user=root --group=root &
sleep 1
hx tcpdump -U -i eth0 -w "$TMP/app.pcap" >/dev/null 2>&1 &
TD=$!
sleep 1
D="dig +tries=1 +time=1 @10.77.0.1"
cx $D www.tcpdump.org A >/dev/null || { cat "$TMP/dnsmasq.log"; exit 1; }
cx $D www.tcpdump.org AAAA >/dev/null
cx $D +tcp www.tcpdump.org A >/dev/null
cx $D pktlife.test MX >/dev/null
cx $D pktlife.test TXT >/dev/null
cx $D _ntp._udp.pktlife.test SRV >/dev/null
cx $D -x 192.0.2.10 >/dev/null
cx $D nosuchname.pktlife.test A >/dev/null || true
cx $D +noedns +norecurse www.tcpdump.org A >/dev/null
# mDNS and LLMNR queries (nothing answers them here)
cx dig +tries=1 +time=1 -p 5353 @10.77.0.1 printer.local A >/dev/null || true
cx dig +tries=1 +time=1 -p 5355 @10.77.0.1 wpad A >/dev/null || true
# DHCPv4 (DISCOVER, OFFER, REQUEST, ACK, then RELEASE) and DHCPv6 (SOLICIT, ADVERTISE, REQUEST, REPLY)
cx dhclient -4 -1 -v -sf /bin/true -lf "$TMP/dhc4.leases" -pf "$TMP/dhc4.pid" eth0 >/dev/null 2>&1 || true
cx dhclient -4 -r -sf /bin/true -lf "$TMP/dhc4.leases" -pf "$TMP/dhc4.pid" eth0 >/dev/null 2>&1 || true
cx timeout 10 dhclient -6 -1 -v -sf /bin/true -lf "$TMP/dhc6.leases" -pf "$TMP/dhc6.pid" eth0 >/dev/null 2>&1 || true
cx kill "$(cat "$TMP/dhc6.pid" 2>/dev/null)" 2>/dev/null || true
# TFTP read (RRQ, OACK/DATA, ACK) and a missing file (ERROR)
( cd "$TMP" && cx busybox tftp -g -r hello.txt -l "$TMP/got.txt" 10.77.0.1 ) || true
( cd "$TMP" && cx busybox tftp -g -r missing.txt -l "$TMP/none.txt" 10.77.0.1 ) 2>/dev/null || true
# syslog to the host (no listener: ICMP port unreachable quotes it)
cx logger -n 10.77.0.1 -P 514 -d -p daemon.notice -t pktlife "hello from ap-c" || true
# NTP client requests (version 4 and 3, mode 3) to the host (closed: ICMP port unreachable)
cx python3 - <<'PY'
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for vn in (4, 3):
    pkt = struct.pack('!B B b b 11I', (0 << 6) | (vn << 3) | 3, 0, 6, -20, *([0] * 10), int(time.time()) + 2208988800)
    s.sendto(pkt, ('10.77.0.1', 123)); time.sleep(0.2)
PY
sleep 1
hx ip route > /dev/null
# the host snapshot while the namespace exists (dnsmasq's sockets are in it)
node ../dist/cli/main.js snapshot --netns $H app-host >/dev/null
kill $TD; wait $TD 2>/dev/null || true
cp "$TMP/app.pcap" app.pcap
echo "captures/app.pcap: $(tcpdump -r app.pcap 2>/dev/null | wc -l) frames"
