#!/usr/bin/env bash
# Records captures/basic.pcapng and its host snapshot captures/basic-host/ inside two network
# namespaces made here (plhost = the host being modelled, plpeer = a client). Root only.
# All traffic stays between the two namespaces; both are deleted at the end.
set -euo pipefail
cd "$(dirname "$0")"
H=plhost P=plpeer
cleanup() { ip netns pids $H 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns pids $P 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del $H 2>/dev/null || true; ip netns del $P 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $H; ip netns add $P
ip link add eth0 netns $H type veth peer name eth0 netns $P
hx() { ip netns exec $H "$@"; }; px() { ip netns exec $P "$@"; }
hx ip link set lo up; px ip link set lo up
hx ip link set eth0 address 02:00:00:00:01:01; px ip link set eth0 address 02:00:00:00:02:02
hx ip addr add 10.20.0.1/24 dev eth0; hx ip addr add fd20::1/64 dev eth0 nodad
px ip addr add 10.20.0.2/24 dev eth0; px ip addr add fd20::2/64 dev eth0 nodad
hx ip link set eth0 up; px ip link set eth0 up
# services on the host: TCP 8080 (answers one line), UDP 9999 (echo)
hx python3 - <<'PY' &
import socket, threading
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8080)); s.listen()
    while True:
        c, _ = s.accept(); c.recv(100); c.sendall(b'hello from plhost\n'); c.close()
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', 9999))
    while True:
        d, a = u.recvfrom(2000); u.sendto(d, a)
threading.Thread(target=tcp, daemon=True).start(); udp()
PY
sleep 1
hx dumpcap -q -i eth0 -w /tmp/pl-basic.pcapng >/dev/null 2>&1 &
# the same traffic seen by `tcpdump -i any` (LINUX_SLL2: interface index and packet type)
hx tcpdump -U -q -i any -y LINUX_SLL2 -w /tmp/pl-basic-any.pcap >/dev/null 2>&1 &
sleep 2
px ping -c 2 -i 0.2 10.20.0.1 >/dev/null
px python3 - <<'PY'
import socket, time
c = socket.create_connection(('10.20.0.1', 8080)); c.sendall(b'GET\n'); c.recv(100); c.close(); time.sleep(0.2)
try: socket.create_connection(('10.20.0.1', 81), timeout=1)
except OSError: pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
u.sendto(b'ping', ('10.20.0.1', 9999)); u.recvfrom(100)
u.sendto(b'nobody', ('10.20.0.1', 9998)); time.sleep(0.2)
PY
px ping -c 1 -s 3000 10.20.0.1 >/dev/null
px ping -6 -c 2 -i 0.2 fd20::1 >/dev/null
sleep 1
kill %2 %3 2>/dev/null || true; wait %2 %3 2>/dev/null || true  # -U above: nothing left unflushed
# ONLY=any re-records basic-any.pcap alone (a second run of the same traffic), keeping basic.pcapng
[ "${ONLY:-}" = any ] || cp /tmp/pl-basic.pcapng basic.pcapng
cp /tmp/pl-basic-any.pcap basic-any.pcap
[ "${ONLY:-}" = any ] && exit 0
# host snapshot: the commands of `pktlife snapshot --netns`
if [ -f ../dist/cli/main.js ] && node ../dist/cli/main.js snapshot --help >/dev/null 2>&1; then
  rm -rf basic-host; node ../dist/cli/main.js snapshot --netns $H basic-host
else
  echo "pktlife snapshot not built: run npm run build first" >&2; exit 1
fi
