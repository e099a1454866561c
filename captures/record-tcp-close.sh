#!/usr/bin/env bash
# Records captures/tcp-close.pcap and its host snapshot captures/tcp-close-host/ inside two network
# namespaces made here (kfch = the host being modelled, 10.9.0.1, listener on 8080, whose
# application closes first; kfcc = a real Linux client, 10.9.0.2). Root only. All traffic stays
# between the two namespaces; both are deleted at the end.
#   connection 1 (client port 45001): request, reply, the host closes, the client reads EOF and
#     closes: the host ends in TIME_WAIT (its ACK of the client's FIN is in the capture)
#   connection 2 (port 45002): the host closes, the client keeps sending: the host's FIN_WAIT2
#     timewait sock answers the data with a RST (TCP_TW_RST)
#   connection 3 (port 45001 again, 0.3 s later): a SYN reusing the 4-tuple of 1 in TIME_WAIT: the
#     host answers with a SYN-ACK whose ISN is the old snd_nxt + 65537 (TCP_TW_SYN)
# The capture is tcpdump on the host's eth0 (pcap, both directions): the host's own segments are
# known by their source MAC, and they are the kernel's real answers to compare the model with
# (test/kernel/tcp-close.test.ts).
set -euo pipefail
cd "$(dirname "$0")"
H=kfch P=kfcc
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; ip netns del $H 2>/dev/null || true; ip netns del $P 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $H; ip netns add $P
ip -n $P link add eth0 address 02:00:00:00:09:02 type veth peer name eth0 netns $H address 02:00:00:00:09:01
hx() { ip netns exec $H "$@"; }; px() { ip netns exec $P "$@"; }
for ns in $H $P; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
hx ip link set lo up; px ip link set lo up
hx ip addr add 10.9.0.1/24 dev eth0; px ip addr add 10.9.0.2/24 dev eth0
hx ip link set eth0 up; px ip link set eth0 up
hx ip neigh add 10.9.0.2 lladdr 02:00:00:00:09:02 dev eth0 nud permanent
px ip neigh add 10.9.0.1 lladdr 02:00:00:00:09:01 dev eth0 nud permanent
hx python3 - <<'PY' &
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8080)); s.listen(4)
for i in range(3):
    c, _ = s.accept(); c.recv(100); c.sendall(b'reply\n'); time.sleep(0.2); c.close()
time.sleep(30)
PY
PIDS+=($!)
sleep 0.5
rm -rf tcp-close-host
node ../dist/cli/main.js snapshot --netns $H tcp-close-host >/dev/null
hx tcpdump -i eth0 -U -s 0 -w tcp-close.pcap 2>/dev/null &
PIDS+=($!)
sleep 1
px python3 - <<'PY'
import socket, time
def conn(port):
    c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); c.bind(('10.9.0.2', port)); c.connect(('10.9.0.1', 8080))
    return c
c = conn(45001); c.sendall(b'hi'); c.recv(100); c.recv(100); time.sleep(0.1); c.close()
time.sleep(0.3)
c = conn(45002); c.sendall(b'hi'); c.recv(100); c.recv(100); time.sleep(0.1)
try:
    c.sendall(b'more'); time.sleep(0.1); c.sendall(b'again')
except OSError:
    pass
c.close()
time.sleep(0.3)
c = conn(45001); c.sendall(b'hi'); c.recv(100); c.recv(100); time.sleep(0.1); c.close()
time.sleep(0.3)
PY
sleep 1
