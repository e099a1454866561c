"""Frame builders for the kernel-fixture generators (no scapy: struct only).

Every builder computes correct checksums unless told otherwise (csum=<int> forces a value),
so a frame is bad only where a scenario says so.
"""
import struct
import ipaddress

BCAST = 'ff:ff:ff:ff:ff:ff'


def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))


def ip4(s):
    return ipaddress.IPv4Address(s).packed


def ip6(s):
    return ipaddress.IPv6Address(s).packed


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, src, etype, payload, vlan=None):
    hdr = mac(dst) + mac(src)
    if vlan is not None:
        hdr += struct.pack('!HH', 0x8100, vlan)
    return hdr + struct.pack('!H', etype) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack('!HHBBH', 1, 0x0800, 6, 4, op) + mac(sha) + ip4(spa) + mac(tha) + ip4(tpa)


def ipv4(src, dst, proto, payload, ttl=64, ident=1, flags=0x2, frag=0, tos=0, options=b'',
         csum_=None, tot_len=None, version=4, ihl=None):
    if ihl is None:
        ihl = 5 + len(options) // 4
    tl = tot_len if tot_len is not None else 20 + len(options) + len(payload)
    hdr = struct.pack('!BBHHHBBH4s4s', (version << 4) | ihl, tos, tl, ident,
                      (flags << 13) | frag, ttl, proto, 0, ip4(src), ip4(dst)) + options
    c = csum(hdr) if csum_ is None else csum_
    hdr = hdr[:10] + struct.pack('!H', c) + hdr[12:]
    return hdr + payload


def _l4sum4(src, dst, proto, seg):
    return csum(ip4(src) + ip4(dst) + struct.pack('!BBH', 0, proto, len(seg)) + seg)


def _l4sum6(src, dst, proto, seg):
    return csum(ip6(src) + ip6(dst) + struct.pack('!IxxxB', len(seg), proto) + seg)


def tcp_seg(sport, dport, seq, ack, flags, payload=b'', win=64240, options=b''):
    """flags: string of S A F R P U"""
    fl = 0
    for ch, bit in (('F', 1), ('S', 2), ('R', 4), ('P', 8), ('A', 16), ('U', 32)):
        if ch in flags:
            fl |= bit
    if len(options) % 4:
        raise ValueError('TCP options must be padded to 4 bytes (got %d)' % len(options))
    off = (20 + len(options)) // 4
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, off << 4, fl, win, 0, 0) + options + payload


def set_l4_csum(seg, off, value):
    return seg[:off] + struct.pack('!H', value) + seg[off + 2:]


def tcp4(src, dst, sport, dport, seq=1000, ack=0, flags='S', payload=b'', csum_=None, options=b'', **ipkw):
    seg = tcp_seg(sport, dport, seq, ack, flags, payload, options=options)
    c = _l4sum4(src, dst, 6, seg) if csum_ is None else csum_
    return ipv4(src, dst, 6, set_l4_csum(seg, 16, c), **ipkw)


def udp4(src, dst, sport, dport, payload=b'', csum_=None, **ipkw):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    c = _l4sum4(src, dst, 17, seg) if csum_ is None else csum_
    if c == 0 and csum_ is None:
        c = 0xffff
    return ipv4(src, dst, 17, set_l4_csum(seg, 6, c), **ipkw)


def icmp4(src, dst, typ=8, code=0, icmp_id=0x1234, seq=1, payload=b'pktlife-kf', **ipkw):
    msg = struct.pack('!BBHHH', typ, code, 0, icmp_id, seq) + payload
    msg = set_l4_csum(msg, 2, csum(msg))
    return ipv4(src, dst, 1, msg, **ipkw)


def ipv6(src, dst, nh, payload, hlim=64, flow=0):
    return struct.pack('!IHBB', (6 << 28) | flow, len(payload), nh, hlim) + ip6(src) + ip6(dst) + payload


def icmp6(src, dst, typ, code, body, hlim=64):
    msg = struct.pack('!BBH', typ, code, 0) + body
    msg = set_l4_csum(msg, 2, _l4sum6(src, dst, 58, msg))
    return ipv6(src, dst, 58, msg, hlim=hlim)


def echo6(src, dst, ident=0x1234, seq=1, hlim=64, payload=b'pktlife-kf'):
    return icmp6(src, dst, 128, 0, struct.pack('!HH', ident, seq) + payload, hlim=hlim)


def ns6(src, dst, target, sll):
    body = struct.pack('!I', 0) + ip6(target) + bytes([1, 1]) + mac(sll)
    return icmp6(src, dst, 135, 0, body, hlim=255)


def tcp6(src, dst, sport, dport, seq=1000, ack=0, flags='S', payload=b'', hlim=64):
    seg = tcp_seg(sport, dport, seq, ack, flags, payload)
    return ipv6(src, dst, 6, set_l4_csum(seg, 16, _l4sum6(src, dst, 6, seg)), hlim=hlim)


def udp6(src, dst, sport, dport, payload=b'', hlim=64):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    return ipv6(src, dst, 17, set_l4_csum(seg, 6, _l4sum6(src, dst, 17, seg)), hlim=hlim)


def solicited_node(addr):
    a = ip6(addr)
    return str(ipaddress.IPv6Address(bytes.fromhex('ff0200000000000000000001ff') + a[13:]))


def mcast_mac6(addr):
    a = ip6(addr)
    return '33:33:' + ':'.join('%02x' % b for b in a[12:])


# -------- pcapng (minimal writer: SHB, one IDB per interface with if_name, EPB with comment) --------

def _opt(code, val):
    pad = (4 - len(val) % 4) % 4
    return struct.pack('<HH', code, len(val)) + val + b'\0' * pad


def _block(btype, body):
    tl = 12 + len(body)
    return struct.pack('<II', btype, tl) + body + struct.pack('<I', tl)


class Pcapng:
    def __init__(self, path):
        self.f = open(path, 'wb')
        self.ifaces = {}
        shb = struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1) + _opt(4, b'pktlife kernel-fixture recorder') + _opt(0, b'')
        self.f.write(_block(0x0A0D0D0A, shb))

    def iface(self, name):
        if name not in self.ifaces:
            body = struct.pack('<HHI', 1, 0, 262144) + _opt(2, name.encode()) + _opt(9, b'\x09') + _opt(0, b'')
            self.f.write(_block(1, body))
            self.ifaces[name] = len(self.ifaces)
        return self.ifaces[name]

    def packet(self, name, ts_ns, data, comment=None, outbound=False):
        i = self.iface(name)
        opts = b''
        if comment:
            opts = _opt(1, comment.encode()) + _opt(0, b'')
        # epb_flags: inbound (1), or outbound (2) for a frame the host sent
        opts = _opt(2, struct.pack('<I', 2 if outbound else 1)) + (opts if opts else _opt(0, b''))
        pad = (4 - len(data) % 4) % 4
        body = struct.pack('<IIIII', i, ts_ns >> 32, ts_ns & 0xffffffff, len(data), len(data)) + data + b'\0' * pad + opts
        self.f.write(_block(6, body))

    def close(self):
        self.f.close()


def read_pcap(path, offset=0):
    """Records of a classic pcap file from byte offset (0 = start, header skipped). Returns (records, new_offset)."""
    with open(path, 'rb') as f:
        buf = f.read()
    out = []
    pos = max(offset, 24)
    if len(buf) < 24:
        return out, offset
    while pos + 16 <= len(buf):
        _s, _u, incl, _orig = struct.unpack('<IIII', buf[pos:pos + 16])
        if pos + 16 + incl > len(buf):
            break
        out.append(buf[pos + 16:pos + 16 + incl])
        pos += 16 + incl
    return out, pos


def write_pcap(path, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i, d in enumerate(frames):
            f.write(struct.pack('<IIII', 1700000000, i, len(d), len(d)) + d)
