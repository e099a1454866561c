"""Listening sockets for a scenario, run inside the host netns by the recorder.

argv: LOGFILE SPEC...   SPEC is the ss form the fate record uses: "tcp 0.0.0.0:80", "udp 10.0.1.1:53",
"tcp [::]:22". Every datagram received and every accepted connection / data read is logged as one line
"SPEC<TAB>event<TAB>peer<TAB>len", so the recorder can tell which socket a frame reached.
"""
import os
import selectors
import socket
import sys

log = open(sys.argv[1], 'a', buffering=1)
sel = selectors.DefaultSelector()
keep = []


def parse(spec):
    proto, addr = spec.split(' ', 1)
    host, port = addr.rsplit(':', 1)
    fam = socket.AF_INET6 if host.startswith('[') else socket.AF_INET
    return proto, fam, host.strip('[]'), int(port)


for spec in sys.argv[2:]:
    proto, fam, host, port = parse(spec)
    s = socket.socket(fam, socket.SOCK_STREAM if proto == 'tcp' else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, port))
    if proto == 'tcp':
        s.listen(16)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, (spec, proto, 'listen'))

# stdin carries sync requests from the recorder: "N" is answered with "sync<TAB>N" once every socket that
# was readable in the same select round has been served, so a frame's socket events are logged before
# the recorder closes the frame's window (the skb is queued before the recorder's send() returns).
# "close ADDR:PORT" makes the application close() the accepted connection of that peer (the host's
# active close: its FIN goes out, the socket is orphaned), answered with "close<TAB>ADDR:PORT<TAB>ok";
# "shutdown ADDR:PORT" does shutdown(SHUT_WR) instead (the same FIN, the socket stays the
# application's and is still read), answered the same way. "send ADDR:PORT N" writes N bytes to it,
# answered with "send<TAB>ADDR:PORT<TAB>ok".
conns = {}


def shutdown_peer(peer):
    s = conns.get(peer)
    if s is None:
        return 'no such connection'
    s.shutdown(socket.SHUT_WR)
    return 'ok'


def close_peer(peer):
    s = conns.pop(peer, None)
    if s is None:
        return 'no such connection'
    try:
        sel.unregister(s)
    except (KeyError, ValueError):
        pass
    s.close()
    return 'ok'


sel.register(sys.stdin, selectors.EVENT_READ, ('', 'sync', ''))
log.write('ready\t%d\n' % os.getpid())
while True:
    syncs = []
    for key, _ in sel.select():
        s = key.fileobj
        spec, proto, kind = key.data[:3]
        if proto == 'sync':
            ln = sys.stdin.readline()
            if not ln:
                sys.exit(0)
            if ln.startswith('send '):
                # the application writes N bytes to the accepted connection of that peer
                _, peer, nbytes = ln.split()[:3]
                c = conns.get(peer)
                res = 'no such connection' if c is None else ('ok' if c.send(b'd' * int(nbytes)) == int(nbytes) else 'short write')
                log.write('send\t%s\t%s\n' % (peer, res))
                continue
            if ln.startswith('close ') or ln.startswith('shutdown '):
                cmd, peer = ln.split()[:2]
                log.write('close\t%s\t%s\n' % (peer, (close_peer if cmd == 'close' else shutdown_peer)(peer)))
                continue
            syncs.append(ln.strip())
            continue
        try:
            if proto == 'udp':
                data, peer = s.recvfrom(65535)
                log.write('%s\trecv\t%s:%d\t%d\n' % (spec, peer[0], peer[1], len(data)))
            elif kind == 'listen':
                c, peer = s.accept()
                c.setblocking(False)
                # the peer as accepted: getpeername() fails once the socket is closed (after a reset, or
                # TIME_WAIT reached on a half-closed socket), while its EOF is still to be read
                conns['%s:%d' % (peer[0], peer[1])] = c
                sel.register(c, selectors.EVENT_READ, (spec, proto, 'conn', peer))
                log.write('%s\taccept\t%s:%d\t0\n' % (spec, peer[0], peer[1]))
            else:
                data = s.recv(65535)
                peer = key.data[3]
                if data:
                    log.write('%s\tdata\t%s:%d\t%d\n' % (spec, peer[0], peer[1], len(data)))
                else:
                    log.write('%s\teof\t%s:%d\t0\n' % (spec, peer[0], peer[1]))
                    # keep it open: closing would make the host send a FIN into a later frame's window
                    sel.unregister(s)
                    keep.append(s)
        except OSError as e:
            log.write('%s\terror\t%s\t0\n' % (spec, e.strerror))
            if kind == 'conn':
                # a reset connection stays readable: served once, not again in every select round
                sel.unregister(s)
                keep.append(s)
    for n in syncs:
        log.write('sync\t%s\n' % n)
