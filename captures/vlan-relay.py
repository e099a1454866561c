#!/usr/bin/env python3
"""User-space 802.1Q / 802.1ad tagger: this kernel has no 8021q module, so VLAN-tagged
traffic is made by relaying between tap devices and a veth. Each tap is bound to a tag stack;
frames the kernel sends out of a tap are tagged and written to the veth, tagged frames arriving
on the veth are matched by their tag stack, untagged and written into that tap.
usage: vlan-relay.py VETH TAP:TAGS [TAP:TAGS...]   TAGS = 8100.100 or 88a8.200,8100.100"""
import fcntl, os, select, socket, struct, sys

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000

def open_tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    return fd

veth = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
veth.bind((sys.argv[1], 0))
# The receive path strips the outer tag into skb->vlan_tci (skb_vlan_untag) even without the
# 8021q module; the packet socket hands it over as PACKET_AUXDATA, so put it back from there.
SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 263, 8, 0x10, 0x40
veth.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
taps = {}
for spec in sys.argv[2:]:
    name, tags = spec.split(':')
    stack = b''.join(struct.pack('!HH', int(tp, 16), int(vid)) for tp, vid in (t.split('.') for t in tags.split(',')))
    taps[open_tap(name)] = stack
print('ready', flush=True)
while True:
    r, _, _ = select.select([veth] + list(taps), [], [])
    for s in r:
        if s is veth:
            f, anc, _, addr = veth.recvmsg(65535, socket.CMSG_SPACE(32))
            if addr[2] == socket.PACKET_OUTGOING:
                continue  # our own transmissions, seen by the packet socket
            for level, kind, data in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA:
                    status, _, _, _, _, tci, tpid = struct.unpack('IIIHHHH', data[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else 0x8100
                        f = f[:12] + struct.pack('!HH', tpid, tci) + f[12:]
            for fd, stack in taps.items():
                if f[12:12 + len(stack)] == stack:
                    os.write(fd, f[:12] + f[12 + len(stack):])
        else:
            f = os.read(s, 65535)
            veth.send(f[:12] + taps[s] + f[12:])
