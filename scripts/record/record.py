#!/usr/bin/env python3
"""Record kernel-verified fixtures: play each scenario's frames through the real kernel in network
namespaces and write what the kernel did with every frame, as pktlife fate records.

usage: record.py [SCENARIO...]        (root only; scenarios live in fixtures/kernel/<name>/)

Per scenario: setup.sh builds netns kfhost (the host) and kfpeer (the far ends), the listeners start,
`pktlife snapshot --netns kfhost` writes host/, then a trace table is added (after the snapshot so the
snapshot is the host's own) and every frame is injected alone from an AF_PACKET socket on the peer end
of its ingress interface. The evidence of its window (nft trace, skb tracepoints filtered on this
process's pid, peer captures, listener log, counter deltas) decides its fate; see docs/fixtures.md.
"""
import ctypes
import importlib.util
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
FIX = os.path.join(ROOT, 'fixtures', 'kernel')
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the tree
import pkt  # noqa: E402

H, P = 'kfhost', 'kfpeer'
TRACEFS = '/sys/kernel/tracing'
INST = TRACEFS + '/instances/kfrec'
TMP = '/tmp/kfrec'
PEER_DROP = 'BRIDGE_INGRESS_STP_STATE'  # how the peers (ports of a down bridge) drop what they receive
WINDOW = 0.15  # seconds of quiet after a frame before its evidence is read
TS_BASE = 1_700_000_000 * 10**9  # frame timestamps: deterministic, not wall clock
# frees in our context that are not the host's handling of the frame: the peer's packet taps
# (tcpdump, the injecting socket), deferred frees of skbs from earlier work flushed on this CPU
NOT_HOST = {'tpacket_rcv', 'packet_rcv', 'skb_defer_free_flush', 'skb_attempt_defer_free',
            'netlink_broadcast_filtered', 'netlink_broadcast'}  # + netlink notifications (FDB learned)
# netif_receive_skb names the skb the host received from the ingress device: the frame's own skb,
# told apart from clones (floods), replies and reassembly work by its address
TRACE_EVENTS = ('skb/kfree_skb', 'skb/consume_skb', 'net/netif_receive_skb')
STRAY_ICMP6 = {130, 131, 132, 133, 143}  # MLD queries/reports, RS: timer-driven, not answers


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kw)


def skip(msg):
    print('fixtures:record skipped: ' + msg, file=sys.stderr)
    sys.exit(2)


def preflight():
    if os.geteuid() != 0:
        skip('needs root (network namespaces, tracefs, raw sockets); the recorded fixtures are committed, '
             'so `npm test` compares without root')
    missing = [t for t in ('ip', 'nft', 'iptables', 'tcpdump', 'nstat') if not shutil.which(t)]
    if missing:
        pk = {'ip': 'iproute2', 'nstat': 'iproute2', 'nft': 'nftables', 'iptables': 'iptables', 'tcpdump': 'tcpdump'}
        pkgs = sorted({pk[t] for t in missing})
        print('installing ' + ' '.join(pkgs), file=sys.stderr)
        subprocess.run(['apt-get', 'update'])
        r = subprocess.run(['apt-get', 'install', '-y'] + pkgs)
        if r.returncode:
            skip('missing tools %s and apt-get failed' % missing)
    r = sh('ip', 'netns', 'add', 'kfprobe', check=False)
    if r.returncode:
        skip('network namespaces unavailable: ' + r.stderr.strip())
    sh('ip', 'netns', 'del', 'kfprobe')
    if not os.path.isdir(TRACEFS + '/events'):
        sh('mount', '-t', 'tracefs', 'nodev', TRACEFS, check=False)
    if not os.path.isdir(TRACEFS + '/events/skb'):
        skip('tracefs skb events unavailable (need /sys/kernel/tracing/events/skb)')
    cli = os.path.join(ROOT, 'dist', 'cli', 'main.js')
    # the snapshot command comes from the project's own build
    subprocess.run(['npx', 'tsc', '-p', '.'], cwd=ROOT, capture_output=True)
    if not os.path.exists(cli):
        skip('dist/cli/main.js missing after `npx tsc -p .`')


# ---------------- namespaces ----------------

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def in_netns(name, fn):
    """Run fn() with this thread in netns `name` (sockets made there stay there)."""
    orig = os.open('/proc/self/ns/net', os.O_RDONLY)
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), 'setns ' + name)
        return fn()
    finally:
        libc.setns(orig, CLONE_NEWNET)
        os.close(fd)
        os.close(orig)


def teardown(procs=()):
    for p in procs:
        try:
            p.terminate()
            p.wait(timeout=3)
        except Exception:
            try:
                p.kill()
            except Exception:
                pass
    for ns in (H, P):
        sh('ip', 'netns', 'del', ns, check=False)
    if os.path.isdir(INST):
        for ev in TRACE_EVENTS:
            try:
                open(INST + '/events/%s/enable' % ev, 'w').write('0')
            except OSError:
                pass
        try:
            os.rmdir(INST)
        except OSError:
            pass
    shutil.rmtree(TMP, ignore_errors=True)


# ---------------- packet parsing (for classification and TCP fix-ups) ----------------

def parse(b):
    d = {'len': len(b)}
    if len(b) < 14:
        return d
    et = struct.unpack('!H', b[12:14])[0]
    off = 14
    while et in (0x8100, 0x88a8) and len(b) >= off + 4:
        et = struct.unpack('!H', b[off + 2:off + 4])[0]
        off += 4
    d['et'] = et
    if et == 0x0800 and len(b) >= off + 20:
        ihl = (b[off] & 15) * 4
        d.update(v=4, ttl=b[off + 8], proto=b[off + 9], id=struct.unpack('!H', b[off + 4:off + 6])[0],
                 tl=struct.unpack('!H', b[off + 2:off + 4])[0], src=socket.inet_ntop(socket.AF_INET, b[off + 12:off + 16]),
                 dst=socket.inet_ntop(socket.AF_INET, b[off + 16:off + 20]), l3=off, l4=off + ihl,
                 frag=struct.unpack('!H', b[off + 6:off + 8])[0] & 0x3fff)
    elif et == 0x86dd and len(b) >= off + 40:
        d.update(v=6, ttl=b[off + 7], proto=b[off + 6], src=socket.inet_ntop(socket.AF_INET6, b[off + 8:off + 24]),
                 dst=socket.inet_ntop(socket.AF_INET6, b[off + 24:off + 40]), l3=off, l4=off + 40, frag=0)
    if d.get('proto') == 6 and not d.get('frag') and len(b) >= d['l4'] + 20:
        o = d['l4']
        sp, dp, seq, ack, doff, fl = struct.unpack('!HHIIBB', b[o:o + 14])
        d.update(sport=sp, dport=dp, seq=seq, ack=ack, tflags=fl, data=o + (doff >> 4) * 4)
    return d


def same_frame(inj, cap, hops=1):
    """'identical' (bridged), 'routed' (the injected packet, TTL/MAC/NAT rewritten) or None (something else).
    hops: how many TTLs routing may have taken (a frame's "hops" key: routed twice after a tc redirect
    from egress into another device's receive path)."""
    if inj == cap:
        return 'identical'
    a, b = parse(inj), parse(cap)
    if a.get('v') != b.get('v') or a.get('v') is None or a['proto'] != b['proto']:
        return None
    if not a['ttl'] - hops <= b['ttl'] <= a['ttl']:
        return None
    if a['v'] == 4:
        if a['id'] != b['id']:
            return None
        if not a['frag'] and b['frag'] and a['src'] == b['src']:
            return 'routed'  # a fragment of the injected packet (fragmented on the way out)
        if a['tl'] != b['tl'] or a['frag'] != b['frag']:
            return None
        pa, pb = inj[a['l4']:a['l3'] + a['tl']], cap[b['l4']:b['l3'] + b['tl']]
        if a['proto'] == 1 or a['frag']:
            return 'routed' if pa[:1] == pb[:1] and pa[4:] == pb[4:] else None
        if a['proto'] == 6 and 'data' in a and 'data' in b:
            return 'routed' if (a['tflags'] == b['tflags'] and inj[a['data']:a['l3'] + a['tl']] == cap[b['data']:b['l3'] + b['tl']]
                                and a['seq'] == b['seq']) else None
        return 'routed' if pa[8:] == pb[8:] else None
    # IPv6: everything after the addresses unchanged, hop limit at most one less
    return 'routed' if inj[a['l3'] + 40:] == cap[b['l3'] + 40:] and inj[a['l3']:a['l3'] + 6] == cap[b['l3']:b['l3'] + 6] else None


def is_stray(b):
    d = parse(b)
    if d.get('v') == 6 and d['proto'] == 58 and len(b) > d['l4'] and b[d['l4']] in STRAY_ICMP6:
        return True
    if d.get('v') == 6 and d['proto'] == 0:  # hop-by-hop: MLD reports
        return True
    if d.get('v') == 4 and d['proto'] == 2:  # IGMP
        return True
    return False


# ---------------- tcpdump summaries ----------------

def summaries(frames):
    if not frames:
        return []
    path = TMP + '/sum.pcap'
    pkt.write_pcap(path, frames)
    out = sh('tcpdump', '-nn', '-t', '-S', '-r', path).stdout.splitlines()
    if len(out) != len(frames):
        raise RuntimeError('tcpdump gave %d lines for %d packets' % (len(out), len(frames)))
    return out


def summaries_e(frames):
    if not frames:
        return []
    path = TMP + '/sume.pcap'
    pkt.write_pcap(path, frames)
    return sh('tcpdump', '-nn', '-t', '-e', '-S', '-r', path).stdout.splitlines()


SEQ_RE = re.compile(r'(seq )(\d+)(?::(\d+))?')


def normalise(summary, d, isns):
    """Host-chosen TCP sequence numbers are random: write them relative to the flow's ISN."""
    if 'sport' not in d:
        return summary
    isn = isns.get((d['src'], d['sport'], d['dst'], d['dport']))
    if isn is None:
        return summary
    if d.get('tflags', 0) & 0x14 == 0x14 and d.get('seq') == 0:
        # a RST|ACK answers a segment without ACK: its seq is 0 (tcp_v4_send_reset), not host-chosen
        return summary

    def rel(n):
        k = (int(n) - isn) % (1 << 32)
        return 'ISN' if k == 0 else 'ISN+%d' % k

    def rep(m):
        return m.group(1) + rel(m.group(2)) + (':' + rel(m.group(3)) if m.group(3) else '')
    return SEQ_RE.sub(rep, summary, count=1)


# ---------------- nft trace ----------------

TERMINAL = {'accept', 'drop', 'queue', 'stolen', 'reject'}


def chain_hooks():
    js = json.loads(sh('ip', 'netns', 'exec', H, 'nft', '-j', 'list', 'chains').stdout or '{"nftables":[]}')
    hooks = {}
    for it in js.get('nftables', []):
        c = it.get('chain')
        if c and c.get('hook'):
            hooks[(c['family'], c['table'], c['name'])] = c['hook']
    return hooks


def verdicts_from_trace(lines, hooks):
    out = []
    done = set()
    cur = {}
    for ln in lines:
        t = ln.split()
        if len(t) < 7 or t[0] != 'trace' or t[1] != 'id':
            continue
        tid, fam, table, chain = t[2], t[3], t[4], t[5]
        if table == 'kftrace':
            continue
        key = (fam, table, chain)
        if key in hooks:
            cur[tid] = key
        base = cur.get(tid)
        if base is None:
            continue
        verdict = None
        if t[6] == 'policy':
            verdict = t[7]
        elif t[6] == 'verdict' and t[7] in TERMINAL:
            verdict = t[7]
        elif t[6] == 'rule':
            m = re.search(r'\(verdict (\w+)', ln)
            if m and m.group(1) in TERMINAL:
                verdict = m.group(1)
        if verdict and (tid, base) not in done:
            done.add((tid, base))
            out.append({'hook': hooks[base], 'family': base[0], 'table': base[1], 'chain': base[2], 'verdict': verdict})
    return out


# ---------------- counters ----------------

def read_counters(pid):
    c = {}
    for f in ('snmp', 'netstat'):
        try:
            lines = open('/proc/%d/net/%s' % (pid, f)).read().splitlines()
        except OSError:
            continue
        for i in range(0, len(lines) - 1, 2):
            hk, hv = lines[i].split(), lines[i + 1].split()
            for k, v in zip(hk[1:], hv[1:]):
                c[hk[0].rstrip(':') + k] = int(v)
    try:
        for ln in open('/proc/%d/net/snmp6' % pid):
            k, v = ln.split()
            c[k] = int(v)
    except OSError:
        pass
    return c


# ---------------- one scenario ----------------

def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def parse_trace_events(text):
    """(event, location or device, reason, skbaddr) for each tracepoint line."""
    evs = []
    for ln in text.splitlines():
        if ln.startswith('#') or ': ' not in ln:
            continue
        m = re.search(r'(kfree_skb|consume_skb): skbaddr=(\w+) .*?location=([\w.]+)(?:\+\S+)?(?:.*reason: (\w+))?', ln)
        if m:
            evs.append((m.group(1), m.group(3), m.group(4), m.group(2)))
            continue
        m = re.search(r'netif_receive_skb: dev=(\S+) skbaddr=(\w+)', ln)
        if m:
            evs.append(('netif_receive_skb', m.group(1), None, m.group(2)))
    return evs


def record(name):
    d = os.path.join(FIX, name)
    meta = json.load(open(os.path.join(d, 'scenario.json')))
    gen = load_module(os.path.join(d, 'frames.py'), 'kf_frames_' + name)
    frames = gen.frames()
    teardown()
    os.makedirs(TMP, exist_ok=True)
    procs = []
    try:
        sh('ip', 'netns', 'add', H)
        sh('ip', 'netns', 'add', P)
        env = dict(os.environ, H=H, P=P, KF_LIB=os.path.join(HERE, 'lib.sh'))
        r = subprocess.run(['bash', os.path.join(d, 'setup.sh')], env=env, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError('%s/setup.sh failed: %s' % (name, r.stderr.strip()))
        ports = [l for l in sh('ip', '-n', P, '-o', 'link', 'show').stdout.split('\n') if 'kfp-' in l]
        ifaces = sorted(re.search(r'kfp-([\w.]+)@', l).group(1) for l in ports)
        log = TMP + '/listen.log'
        open(log, 'w').close()
        lp = subprocess.Popen(['ip', 'netns', 'exec', H, 'python3', os.path.join(HERE, 'listener.py'), log] + meta.get('listeners', []),
                              stdin=subprocess.PIPE, text=True)
        procs.append(lp)
        for _ in range(100):
            if 'ready' in open(log).read():
                break
            time.sleep(0.05)
        else:
            raise RuntimeError('listener did not start')
        caps = {}
        for i in ifaces:
            path = '%s/cap-%s.pcap' % (TMP, i)
            procs.append(subprocess.Popen(['ip', 'netns', 'exec', P, 'tcpdump', '-i', 'kfp-' + i, '-Q', 'in', '-U',
                                           '--immediate-mode', '-s', '0', '-w', path], stderr=subprocess.DEVNULL))
            caps[i] = path
        time.sleep(meta.get('settle', 1.5))  # DAD, MLD and link-up chatter happen now, outside any window
        # snapshot into a temporary dir; the fixture's host/ is replaced only when the whole scenario
        # recorded, and a failed snapshot stops the scenario with the fixture untouched
        newhost = TMP + '/host'
        r = subprocess.run(['node', os.path.join(ROOT, 'dist', 'cli', 'main.js'), 'snapshot', '--netns', H, newhost],
                           capture_output=True, text=True)
        if r.returncode or not os.path.exists(os.path.join(newhost, 'snapshot.json')):
            raise RuntimeError('%s: `pktlife snapshot --netns %s` failed (rc=%d): %s' % (name, H, r.returncode, (r.stderr or '').strip()[:500]))
        snap_note = 'snapshot: rc=0 %s' % (r.stderr or '').strip()[:300]
        # the trace table comes after the snapshot, so host/ holds only the scenario's own rules
        tt = 'table inet kftrace {\n chain pre {\n  type filter hook prerouting priority -400\n  meta nftrace set 1\n }\n}\n'
        if meta.get('bridge'):
            tt += tt.replace('inet', 'bridge')
        subprocess.run(['ip', 'netns', 'exec', H, 'nft', '-f', '-'], input=tt, text=True, check=True)
        hooks = chain_hooks()
        mon = subprocess.Popen(['ip', 'netns', 'exec', H, 'nft', 'monitor', 'trace'], stdout=subprocess.PIPE, text=True)
        procs.append(mon)
        mon_lines = []
        lock = threading.Lock()

        def pump():
            for ln in mon.stdout:
                with lock:
                    mon_lines.append(ln.rstrip('\n'))
        threading.Thread(target=pump, daemon=True).start()
        # sockets on the peer ends; sending from this (main) thread makes the receive path run in our
        # context, so the tracepoint filter common_pid == our pid attributes the host's frees to us
        socks = in_netns(P, lambda: {i: _raw(i) for i in ifaces})
        os.makedirs(INST, exist_ok=True)
        for ev in TRACE_EVENTS:
            flt = 'common_pid == %d' % os.getpid()
            if ev == 'skb/kfree_skb' and meta.get('trace_reasons'):
                # drops done from a timer (e.g. NEIGH_FAILED when ARP resolution gives up) run in
                # whatever context the timer interrupts: admit those reasons from any pid
                flt += ''.join(' || reason == %d' % _reason_num(r) for r in meta['trace_reasons'])
            open(INST + '/events/%s/filter' % ev, 'w').write(flt)
            open(INST + '/events/%s/enable' % ev, 'w').write('1')
        time.sleep(0.5)
        offs = {i: pkt.read_pcap(caps[i])[1] for i in ifaces}
        logoff = os.path.getsize(log)
        with lock:
            monoff = len(mon_lines)
        isns = {}
        out, ev_trace, ev_nft, ev_cap, ev_sock, ev_nstat, ev_fix, ev_bytes = [], [], [], [], [], [], [], []
        packets = []
        # frames whose skb was neither freed nor seen leaving in their own window (queued on an
        # unresolved neighbour): a later window decides them (settle_pending)
        pending = []
        extra_ns = 0  # see the frame timestamps below
        k = 0  # the frame's number in frames.pcapng / expected.ndjson: injected frames plus host-sent ones
        for n, f in enumerate(frames, 1):
            k += 1
            data = f['data']
            comment = f.get('note')
            fix = f.get('fix')
            if fix == 'ack_from_synack':
                q = parse(data)
                key = (q['dst'], q['dport'], q['src'], q['sport'])
                if key not in isns:
                    raise RuntimeError('%s frame %d: no SYN-ACK seen for %s' % (name, n, key))
                data = _set_ack(data, q, (isns[key] + 1 + f.get('ack_add', 0)) % (1 << 32))
                ev_fix.append('frame %d: ack set to host ISN %d + %d (from the SYN-ACK the kernel sent)' % (k, isns[key], 1 + f.get('ack_add', 0)))
                comment = (comment + '; ' if comment else '') + 'ack adjusted to the recorded SYN-ACK (host ISN+%d)' % (1 + f.get('ack_add', 0))
            before = read_counters(lp.pid)
            open(INST + '/trace', 'w').write('')
            if f['iface'] not in socks:
                raise RuntimeError('%s/frames.py frame %d: ingress %r is not a host interface (%s)' % (name, n, f['iface'], ', '.join(ifaces)))
            try:
                socks[f['iface']].send(data)
            except OSError as e:
                raise RuntimeError('%s/frames.py frame %d (%s): the kernel refused to send it: %s' % (name, n, f.get('note'), e)) from e
            time.sleep(f.get('window', WINDOW))  # longer per frame when a timer acts (neighbour resolution)
            # wait for quiet: nothing new on any peer for one more short interval
            got = {}
            for _ in range(10):
                changed = False
                for i in ifaces:
                    recs, o2 = pkt.read_pcap(caps[i], offs[i])
                    if recs:
                        got.setdefault(i, []).extend(recs)
                        offs[i] = o2
                        changed = True
                if not changed:
                    break
                time.sleep(0.05)
            # the listener confirms it has served every socket that was readable (see listener.py)
            lp.stdin.write('%d\n' % n)
            lp.stdin.flush()
            for _ in range(200):
                if os.path.getsize(log) > logoff and ('sync\t%d\n' % n) in open(log).read()[logoff:]:
                    break
                time.sleep(0.01)
            else:
                raise RuntimeError('%s frame %d: the listener did not answer the sync' % (name, n))
            tr = open(INST + '/trace').read()
            after = read_counters(lp.pid)
            with lock:
                nl = mon_lines[monoff:]
                monoff = len(mon_lines)
            with open(log) as lf:
                lf.seek(logoff)
                slines = [l.rstrip('\n') for l in lf.readlines() if not l.startswith('sync\t')]
                logoff = lf.tell()
            # 1 ms apart, plus the time a frame with its own (longer) window made the kernel wait:
            # timer-driven outcomes (neighbour probes, FAILED) must see that time pass in the capture
            ts = TS_BASE + k * 1_000_000 + extra_ns
            if f.get('window'):
                extra_ns += int(f['window'] * 10**9)
            packets.append({'iface': f['iface'], 'tsSec': ts // 10**9, 'tsNsec': ts % 10**9, 'hex': data.hex(), 'comment': comment})
            seen = got  # evidence: everything captured in the window, queued packets of earlier frames included
            got = settle_pending(pending, got, tr, k)
            rec = derive(k, f, data, got, tr, nl, slines, hooks, meta, isns)
            own = rec.pop('_own', None)
            if rec.pop('_undecided', False) and own:
                pending.append({'k': k, 'data': data, 'rec': rec, 'own': own})
            out.append(rec)
            ev_trace.append('# frame %d\n' % k + '\n'.join(l.strip() for l in tr.splitlines() if not l.startswith('#')))
            ev_nft.append('# frame %d\n' % k + '\n'.join(nl))
            capl = []
            for i in sorted(seen):
                for s in summaries_e(seen[i]):
                    capl.append('%s(peer of %s) %s' % ('kfp-' + i, i, s))
            ev_cap.append('# frame %d\n' % k + '\n'.join(capl))
            # the bytes each peer received, for checking a model's egress bytes (TTL, NAT, checksums)
            ev_bytes.append('# frame %d\n' % k + '\n'.join('%s %s' % (i, r.hex()) for i in sorted(seen) for r in seen[i]))
            ev_sock.append('# frame %d\n' % k + '\n'.join(slines))
            delta = {c: after[c] - before.get(c, 0) for c in after if after[c] != before.get(c, 0)}
            ev_nstat.append('# frame %d\n' % k + ' '.join('%s=%+d' % kv for kv in sorted(delta.items())))
            if f.get('close') or f.get('shutdown') or f.get('send'):
                # the host's application closes this peer's accepted connection now (after the frame's
                # window); what the host sends then (its FIN) goes into frames.pcapng as outbound frames
                k = host_close(k, f, data, lp, log, ifaces, caps, offs, packets, out, isns,
                               (ev_trace, ev_nft, ev_cap, ev_sock, ev_nstat), extra_ns, mon_lines, lock)
                with lock:
                    monoff = len(mon_lines)
                logoff = os.path.getsize(log)
        writer = write_frames(os.path.join(d, 'frames.pcapng'), packets)
        hostdir = os.path.join(d, 'host')
        shutil.rmtree(hostdir, ignore_errors=True)
        shutil.copytree(newhost, hostdir)
        with open(os.path.join(d, 'expected.ndjson'), 'w') as fo:
            for rec in out:
                fo.write(json.dumps(rec, separators=(',', ':')) + '\n')
        ev = os.path.join(d, 'evidence')
        shutil.rmtree(ev, ignore_errors=True)
        os.makedirs(ev)
        # the kernel's ISN per flow (host.port>peer.port as tcpdump writes them), for normalising a
        # model's replies the same way (test/conformance/fixtures.ts normaliseIsn)
        fmt = lambda a, p: '%s.%d' % (a, p)
        json.dump({'%s>%s' % (fmt(k[0], k[1]), fmt(k[2], k[3])): v for k, v in sorted(isns.items())},
                  open(os.path.join(ev, 'isn.json'), 'w'), indent=1, sort_keys=True)
        for fn, body in (('tracepoints.txt', ev_trace), ('nft-trace.txt', ev_nft), ('peer-captures.txt', ev_cap), ('peer-bytes.txt', ev_bytes),
                         ('sockets.txt', ev_sock), ('nstat.txt', ev_nstat)):
            open(os.path.join(ev, fn), 'w').write('\n'.join(body) + '\n')
        open(os.path.join(ev, 'recorder.txt'), 'w').write(
            'kernel: %s\nhost netns: %s, peer netns: %s, interfaces: %s\n%s\n'
            'tracepoints: skb:kfree_skb, skb:consume_skb, net:netif_receive_skb in tracefs instance kfrec, filter common_pid == recorder pid\n'
            '  The frame\'s own skb is the first netif_receive_skb on its ingress device; its first free decides\n'
            '  dropped (kfree_skb reason) or consumed; frees of other skbs (flood clones, replies, other fragments)\n'
            '  are listed in events but do not decide the fate.\n'
            '  (frames are sent from the recorder main thread; veth receive runs in the sender context).\n'
            '  Events with reason %s are the peers (ports of a down bridge) dropping what the host sent; they are\n'
            '  not host events; nor are frees at %s (packet taps, deferred frees of earlier skbs).\n'
            '  Frees deferred to another CPU or done with __kfree_skb (no tracepoint) are not seen.\n'
            'stray packets ignored in replies: MLD/RS ICMPv6 types %s, IGMP (timer-driven, not answers)\n'
            'frames.pcapng written by %s\n'
            'tcp fix-ups:\n%s\n' % (os.uname().release, H, P, ', '.join(ifaces), snap_note, PEER_DROP, sorted(NOT_HOST),
                                   sorted(STRAY_ICMP6), writer, '\n'.join(ev_fix) or '  none'))
        return len(out)
    finally:
        teardown(procs)


def host_close(k, f, data, lp, log, ifaces, caps, offs, packets, out, isns, evs, extra_ns, mon_lines, lock):
    """listener.py closes the accepted socket of the frame's peer (close(): the socket is orphaned; or
    shutdown(SHUT_WR) with `shutdown: True` on the frame; or writes N bytes to it with `send: N`).
    Every packet the host sends in the following window is appended as a frame of its own, direction
    outbound on its interface, in the order the peer captures saw them (one interface per scenario
    here, so the order is the capture's). Returns the last frame number used."""
    q = parse(data)
    peer = '%s:%d' % (q['src'], q['sport'])
    how = 'send' if f.get('send') else 'shutdown' if f.get('shutdown') else 'close'
    call = {'send': 'send() of %s bytes' % f.get('send'), 'shutdown': 'shutdown(SHUT_WR)', 'close': 'close()'}[how]
    tag = 'send' if how == 'send' else 'close'
    open(INST + '/trace', 'w').write('')
    mark = os.path.getsize(log)
    lp.stdin.write('%s %s%s\n' % (how, peer, ' %d' % f['send'] if how == 'send' else ''))
    lp.stdin.flush()
    for _ in range(200):
        if ('%s\t%s' % (tag, peer)) in open(log).read()[mark:]:
            break
        time.sleep(0.01)
    else:
        raise RuntimeError('frame %d: the listener did not %s %s' % (k, how, peer))
    line = [l for l in open(log).read()[mark:].splitlines() if l.startswith(tag + '\t')][0]
    if not line.endswith('\tok'):
        raise RuntimeError('frame %d: the listener could not %s %s: %s' % (k, how, peer, line))
    time.sleep(f.get('close_window', WINDOW))
    got = []
    for _ in range(10):
        changed = False
        for i in ifaces:
            recs, o2 = pkt.read_pcap(caps[i], offs[i])
            if recs:
                got.extend((i, c) for c in recs)
                offs[i] = o2
                changed = True
        if not changed:
            break
        time.sleep(0.05)
    tr = open(INST + '/trace').read()
    with lock:
        nl = list(mon_lines)
    got = [(i, c) for i, c in got if not is_stray(c)]
    if not got:
        raise RuntimeError('frame %d: the host sent nothing after %s of %s' % (k, call, peer))
    ev_trace, ev_nft, ev_cap, ev_sock, ev_nstat = evs
    for i, c in got:
        k += 1
        ts = TS_BASE + k * 1_000_000 + extra_ns
        d = parse(c)
        s = normalise(summaries([c])[0], d, isns)
        packets.append({'iface': i, 'tsSec': ts // 10**9, 'tsNsec': ts % 10**9, 'hex': c.hex(), 'direction': 'outbound',
                        'comment': 'sent by the host after its application %s %s: %s' % ({'close': 'closed', 'shutdown': 'shut down (SHUT_WR) writing to', 'send': 'wrote %s bytes to' % f.get('send')}[how], peer, s)})
        # a frame the host sent (its own output path to the device it was captured on): fate sent,
        # egress that device; no replies
        out.append({'frame': k, 'fate': 'sent', 'egress': [i],
                    'events': [{'fn': 'listener', 'what': '%s of the socket of %s' % (call, peer)},
                               {'fn': 'recorder', 'what': 'sent by the host (captured at kfp-%s): %s' % (i, s)}]})
        ev_trace.append('# frame %d (host-sent, after %s of %s)\n' % (k, call, peer) + '\n'.join(l.strip() for l in tr.splitlines() if not l.startswith('#')))
        tr = ''
        ev_nft.append('# frame %d (host-sent)\n' % k)
        ev_cap.append('# frame %d (host-sent)\n' % k + '\n'.join('kfp-%s(peer of %s) %s' % (i, i, x) for x in summaries_e([c])))
        ev_sock.append('# frame %d (host-sent)\n' % k + line)
        ev_nstat.append('# frame %d (host-sent)\n' % k)
    return k


def write_frames(path, packets):
    """The project's PcapngWriter (dist/) when built, else the minimal writer in pkt.py."""
    if os.path.exists(os.path.join(ROOT, 'dist', 'capture', 'pcapng-writer.js')):
        job = json.dumps({'out': path, 'packets': packets})
        r = subprocess.run(['node', os.path.join(HERE, 'write-pcapng.mjs')], input=job, text=True, capture_output=True)
        if r.returncode == 0:
            return 'src/capture/pcapng-writer.ts (PcapngWriter)'
        print('pcapng-writer failed (%s), using pkt.Pcapng' % r.stderr.strip()[:200], file=sys.stderr)
    w = pkt.Pcapng(path)
    for p in packets:
        w.packet(p['iface'], p['tsSec'] * 10**9 + p['tsNsec'], bytes.fromhex(p['hex']), p['comment'], p.get('direction') == 'outbound')
    w.close()
    return 'scripts/record/pkt.py (Pcapng)'


def _reason_num(name):
    """enum skb_drop_reason value of NAME, from the running kernel's kfree_skb print format."""
    fmt = open(TRACEFS + '/events/skb/kfree_skb/format').read()
    m = re.search(r'\{ (\d+), "%s" \}' % re.escape(name), fmt)
    if not m:
        raise RuntimeError('drop reason %s unknown to this kernel' % name)
    return int(m.group(1))


def _raw(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind(('kfp-' + iface, 0))
    return s


def _set_ack(data, q, ack):
    o = q['l4']
    b = bytearray(data)
    b[o + 8:o + 12] = struct.pack('!I', ack)
    b[o + 16:o + 18] = b'\0\0'
    seg = bytes(b[o:q['l3'] + (q['tl'] if q['v'] == 4 else 40 + struct.unpack('!H', data[q['l3'] + 4:q['l3'] + 6])[0])])
    if q['v'] == 4:
        ph = socket.inet_pton(socket.AF_INET, q['src']) + socket.inet_pton(socket.AF_INET, q['dst']) + struct.pack('!BBH', 0, 6, len(seg))
    else:
        ph = socket.inet_pton(socket.AF_INET6, q['src']) + socket.inet_pton(socket.AF_INET6, q['dst']) + struct.pack('!IxxxB', len(seg), 6)
    b[o + 16:o + 18] = struct.pack('!H', pkt.csum(ph + seg))
    return bytes(b)


def settle_pending(pending, got, tr, k):
    """Frames queued in the kernel (their skb not freed in their window, e.g. on an unresolved
    neighbour's arp_queue) get their fate in the window they are decided in: the packet seen leaving
    (forwarded/bridged, by that interface) or its skb freed (dropped with that reason). Returns the
    window's captures without the packets so attributed (they are not the current frame's replies)."""
    if not pending:
        return got
    rest = {}
    for i in sorted(got):
        for c in got[i]:
            for p in pending:
                s = same_frame(p['data'], c)
                if s:
                    r = p['rec']
                    kind = 'bridged' if s == 'identical' else 'forwarded'
                    if r['fate'] not in ('forwarded', 'bridged'):
                        r['fate'] = kind
                        r.pop('reason', None)
                        r['events'] = [e for e in r['events'] if e.get('fn') != 'recorder']
                    r.setdefault('egress', []).append(i)
                    r['events'].append({'fn': 'dev_queue_xmit', 'what': 'left via %s in the window of frame %d (queued until then)' % (i, k)})
                    p['done'] = True
                    break
            else:
                rest.setdefault(i, []).append(c)
    for ev, loc, reason, addr in parse_trace_events(tr):
        for p in pending:
            if ev == 'kfree_skb' and addr == p['own'] and not p.get('done') and reason != PEER_DROP:
                r = p['rec']
                r['fate'] = 'dropped'
                r['reason'] = reason
                r['events'] = [e for e in r['events'] if e.get('fn') != 'recorder']
                r['events'].append({'fn': loc, 'what': 'kfree_skb %s in the window of frame %d (queued until then)' % (reason, k)})
                p['done'] = True
            elif ev == 'consume_skb' and addr == p['own'] and not p.get('done'):
                # consumed where it was queued (a fragment merged by inet_frag_reasm_prepare): the
                # frame's record stays `consumed`; its address may be reused by a later frame's skb
                p['rec']['events'].append({'fn': loc, 'what': 'consume_skb in the window of frame %d (queued until then)' % k})
                p['done'] = True
            elif ev == 'netif_receive_skb' and addr == p['own'] and not p.get('done'):
                # the address now names another received skb: the queued one was freed untraced
                p['done'] = True
    pending[:] = [p for p in pending if not p.get('done')]
    return rest


def derive(n, f, data, got, tr, nlines, slines, hooks, meta, isns):
    """The fate record of one frame, from its window's evidence only."""
    egress, kind, replies = [], None, []
    for i in sorted(got):
        for c in got[i]:
            s = same_frame(data, c, f.get('hops', 1))
            if s:
                egress.append(i)
                # an unchanged frame left by a bridge, or (scenario "identical": "forwarded") by a tc redirect/mirror
                # (a frame's own "identical" key overrides the scenario's: a tc redirect from a bridge port)
                kind = kind or ('bridged' if s == 'identical' and f.get('identical', meta.get('identical', 'bridged')) == 'bridged' else 'forwarded')
            elif not is_stray(c):
                replies.append((i, c))
    rsum = summaries([c for _, c in replies])
    reps = []
    for (i, c), s in zip(replies, rsum):
        q = parse(c)
        if 'tflags' in q and q['tflags'] & 0x12 == 0x12:  # SYN-ACK: learn the host's ISN for this flow
            isns[(q['src'], q['sport'], q['dst'], q['dport'])] = q['seq']
        reps.append({'iface': i, 'summary': normalise(s, q, isns)})
    events, own_end, other_drops = [], None, []
    evs = parse_trace_events(tr)
    # the frame's own skb: the first one the host received from the ingress device
    own = next((a for ev, dev, _r, a in evs if ev == 'netif_receive_skb' and dev == f['iface']), None)
    for ev, loc, reason, addr in evs:
        if ev == 'netif_receive_skb':
            continue
        if ev == 'kfree_skb' and reason == PEER_DROP and loc == 'br_handle_frame':
            continue
        if loc in NOT_HOST:
            continue
        mine = addr == own
        tag = '' if mine else ' (another skb: clone, reply or fragment)'
        if ev == 'kfree_skb':
            events.append({'fn': loc, 'what': 'kfree_skb ' + reason + tag})
        else:
            events.append({'fn': loc, 'what': 'consume_skb' + tag})
        if mine and own_end is None:
            own_end = (ev, reason)
        elif not mine and ev == 'kfree_skb':
            other_drops.append(reason)
    if own is None:
        events.append({'fn': 'recorder', 'what': 'no netif_receive_skb on %s seen' % f['iface']})
    rec = {'frame': n}
    sock = None
    for l in slines:
        p = l.split('\t')
        if len(p) >= 2 and p[1] in ('recv', 'accept', 'data', 'eof'):
            sock = p[0]
            events.append({'fn': 'listener', 'what': '%s %s' % (p[1], p[0])})
            break
    if sock is None and own_end is None:
        # no free of the frame's skb seen, but a SYN-ACK from a listening port: the SYN reached that
        # listener (normally the SYN's consume_skb at tcp_rcv_state_process decides: consumed)
        for r in replies:
            q = parse(r[1])
            if 'tflags' in q and q['tflags'] & 0x12 == 0x12:
                for spec in meta.get('listeners', []):
                    if spec.startswith('tcp') and spec.endswith(':%d' % q['sport']):
                        sock = spec
    if kind:
        rec['fate'] = kind
    elif sock:
        rec['fate'] = 'delivered'
    elif own_end and own_end[0] == 'kfree_skb':
        rec['fate'] = 'dropped'
        rec['reason'] = own_end[1]
    elif own_end:
        rec['fate'] = 'consumed'
    elif own is None and other_drops:
        rec['fate'] = 'dropped'  # never received as an skb of its own (cannot happen on veth; kept for safety)
        rec['reason'] = other_drops[0]
    else:
        rec['fate'] = 'consumed'
        events.append({'fn': 'recorder', 'what': 'the frame\'s skb was not freed in the window: kept (queued) or freed without a tracepoint'})
        rec['_undecided'] = True
    rec['_own'] = own
    if egress:
        rec['egress'] = egress
    if reps:
        rec['replies'] = reps
    v = verdicts_from_trace(nlines, hooks)
    if v:
        rec['verdicts'] = v
    if sock and rec['fate'] == 'delivered':
        rec['socket'] = sock
    for i in egress:
        events.append({'fn': 'dev_queue_xmit', 'what': 'left via ' + i})
    rec['events'] = events
    return rec


def main():
    preflight()
    names = sys.argv[1:] or sorted(x for x in os.listdir(FIX) if os.path.exists(os.path.join(FIX, x, 'scenario.json')))
    total = 0
    for nme in names:
        if not os.path.exists(os.path.join(FIX, nme, 'scenario.json')):
            print('no such scenario: fixtures/kernel/%s/scenario.json' % nme, file=sys.stderr)
            sys.exit(1)
        t0 = time.time()
        try:
            k = record(nme)
        except RuntimeError as e:
            print('fixtures:record failed: %s' % e, file=sys.stderr)
            sys.exit(1)
        total += k
        print('%-22s %3d frames  %.1fs' % (nme, k, time.time() - t0))
    print('%d frames recorded' % total)


if __name__ == '__main__':
    main()
