#!/usr/bin/env bash
# Records captures/snmp.pcap: net-snmp's snmpd in netns ap-sh (10.81.0.1; communities "public"
# read-only and "private" read-write) and its command-line clients in netns ap-sc (10.81.0.2):
# snmpget v1 and v2c (sysDescr, sysName, a missing object), snmpgetnext, snmpbulkget, snmpset
# (sysContact with "private"), a get with a wrong community (no answer), and v1 and v2c traps
# to port 162 where nothing listens (ICMP port unreachable). Numeric OIDs (no MIB files here).
# tcpdump -U on ap-sh's eth0. Root only; all traffic stays between the two namespaces.
set -euo pipefail
cd "$(dirname "$0")"
H=ap-sh C=ap-sc
TMP=$(mktemp -d /tmp/ap-snmp.XXXXXX)
cleanup() {
  for n in $H $C; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.3
  for n in $H $C; do ip netns del $n 2>/dev/null || true; done
}
trap 'cleanup; rm -rf "$TMP"' EXIT
cleanup
ip netns add $H; ip netns add $C
ip link add eth0 netns $H type veth peer name eth0 netns $C
hx() { ip netns exec $H "$@"; }; cx() { ip netns exec $C "$@"; }
hx ip link set lo up; cx ip link set lo up
hx ip link set eth0 address 02:00:00:00:10:01; cx ip link set eth0 address 02:00:00:00:10:02
hx ip addr add 10.81.0.1/24 dev eth0; cx ip addr add 10.81.0.2/24 dev eth0
hx ip link set eth0 up; cx ip link set eth0 up
cat > "$TMP/snmpd.conf" <<'CONF'
agentAddress udp:10.81.0.1:161
rocommunity public 10.81.0.0/24
rwcommunity private 10.81.0.0/24
sysLocation pktlife test namespace
sysContact root@ap-sh
sysName ap-sh
sysDescr pktlife SNMP agent
CONF
hx snmpd -f -Lo -C -c "$TMP/snmpd.conf" -p "$TMP/snmpd.pid" -M /dev/null -m '' >/dev/null 2>&1 &
sleep 2
hx tcpdump -U -i eth0 -w "$TMP/snmp.pcap" >/dev/null 2>&1 &
TD=$!
sleep 1
O="-M /dev/null -m '' -On -r 0 -t 1"
S=10.81.0.1
cx sh -c "snmpget $O -v1 -c public $S .1.3.6.1.2.1.1.1.0" >/dev/null || true
cx sh -c "snmpget $O -v2c -c private $S .1.3.6.1.2.1.1.5.0 .1.3.6.1.2.1.1.3.0" >/dev/null || true
cx sh -c "snmpget $O -v2c -c public $S .1.3.6.1.2.1.1.99.0" >/dev/null || true
cx sh -c "snmpget $O -v1 -c public $S .1.3.6.1.2.1.1.99.0" >/dev/null || true
cx sh -c "snmpgetnext $O -v2c -c public $S .1.3.6.1.2.1.1" >/dev/null || true
cx sh -c "snmpbulkget $O -v2c -c public -Cn0 -Cr3 $S .1.3.6.1.2.1.2.2.1.2" >/dev/null || true
cx sh -c "snmpset $O -v2c -c private $S .1.3.6.1.2.1.1.4.0 s pktlife@ap-sc" >/dev/null || true
cx sh -c "snmpget $O -v2c -c wrongcommunity $S .1.3.6.1.2.1.1.1.0" >/dev/null 2>&1 || true
cx sh -c "snmptrap $O -v1 -c public $S:162 .1.3.6.1.4.1.8072.2.3 10.81.0.2 6 17 '' .1.3.6.1.2.1.1.5.0 s ap-sc" >/dev/null 2>&1 || true
cx sh -c "snmptrap $O -v2c -c public $S:162 '' .1.3.6.1.6.3.1.1.5.1 .1.3.6.1.2.1.1.3.0 t 1234" >/dev/null 2>&1 || true
sleep 1
kill $TD; wait $TD 2>/dev/null || true
cp "$TMP/snmp.pcap" snmp.pcap
echo "captures/snmp.pcap: $(tcpdump -r snmp.pcap 2>/dev/null | wc -l) frames"
