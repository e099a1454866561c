#!/bin/bash
# measure (test/kernel/ipv4-defrag.test.ts, run as root: ./fragmem-kernel-measure.sh 4194304|1|0): local-delivery reassembly under ipfrag_high_thresh (inet_frag_find refuses when mem > high_thresh or high_thresh == 0)
set -e; HIGH=$1
cleanup() { for n in mip4-a mip4-b; do ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
cleanup
for n in mip4-a mip4-b; do ip netns add $n; done
ip -n mip4-b link add eth0 type veth peer name c0 netns mip4-a
ip -n mip4-b link set eth0 address 02:00:00:00:01:01; ip -n mip4-a link set c0 address 02:00:00:00:01:02
ip -n mip4-b addr add 10.1.0.1/24 dev eth0
ip -n mip4-b link set eth0 up; ip -n mip4-a link set c0 up; ip -n mip4-b link set lo up
ip netns exec mip4-b sysctl -qw net.ipv4.ipfrag_low_thresh=0
ip netns exec mip4-b sysctl -qw net.ipv4.ipfrag_high_thresh=$HIGH
ip netns exec mip4-b sysctl net.ipv4.ipfrag_high_thresh net.ipv4.ipfrag_low_thresh
ip netns exec mip4-b nstat -n
ip netns exec mip4-b python3 -c '
import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("10.1.0.1",53)); s.settimeout(3)
try:
  d=s.recv(2000); print("received", len(d))
except Exception as e: print("nothing received", e)
' & RX=$!
sleep 0.5
ip netns exec mip4-a python3 - <<'PY'
import socket, struct, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16; return ~s & 0xffff
def ip(ident, fo, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20+len(payload), ident, fo, 64, 17, 0, socket.inet_aton('10.1.0.2'), socket.inet_aton('10.1.0.1'))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload
l4 = bytes([0x03,0xe8,0,53,0,40,0,0]) + bytes(32)
eth = bytes.fromhex('020000000101' '020000000102' '0800')
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('c0', 0))
s.send(eth + ip(7, 0x2000, l4[:24])); time.sleep(0.3)
s.send(eth + ip(7, 3, l4[24:])); time.sleep(0.3)
PY
wait $RX || true
ip netns exec mip4-b nstat 2>/dev/null | grep -i "Reasm\|InDelivers\|InReceives\|UdpInDatagrams"
