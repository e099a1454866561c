// Parser for `ss -Htuanp` (iproute2 misc/ss.c): Netid State Recv-Q Send-Q Local Peer [Process].
// Address forms ss prints: "10.0.0.1:22", "0.0.0.0%eth1:5353" (SO_BINDTODEVICE), "[2001:db8::1]:80",
// "[fe80::1]%eth0:546", "[::]:9443" (IPv6 wildcard with IPV6_V6ONLY), "*:8443" (IPv6 wildcard
// without V6ONLY, i.e. dual stack: measured with python sockets on iproute2 6.1), peers "0.0.0.0:*".
import type { SocketEntry } from '../types.js';
import { parseIPv4, parseIPv6 } from '../addr.js';
import { HostError } from '../errors.js';

interface Endpoint {
  family: 4 | 6;
  addr: number | Uint8Array | null;
  port: number;
  dev?: string;
  v6only?: boolean;
}

function endpoint(text: string, file: string, line: number, what: string): Endpoint {
  const colon = text.lastIndexOf(':');
  const bad = (why: string) => new HostError(file, `line ${line}`, `${what} address "${text}": ${why}`);
  if (colon < 0) throw bad('expected ADDRESS:PORT');
  const portS = text.slice(colon + 1);
  let port: number;
  if (portS === '*') port = 0;
  else if (/^\d+$/.test(portS) && Number(portS) <= 65535) port = Number(portS);
  else throw bad(`bad port "${portS}"`);
  let host = text.slice(0, colon);
  let dev: string | undefined;
  const pct = host.lastIndexOf('%');
  if (pct >= 0 && pct > host.lastIndexOf(']')) {
    dev = host.slice(pct + 1);
    host = host.slice(0, pct);
  }
  let ep: Endpoint;
  if (host === '*') ep = { family: 6, addr: null, port, v6only: false };
  else if (host.startsWith('[') && host.endsWith(']')) {
    const a = parseIPv6(host.slice(1, -1));
    if (!a) throw bad('expected an IPv6 address in brackets');
    const wildcard = a.every((b) => b === 0);
    ep = { family: 6, addr: wildcard ? null : a, port, ...(wildcard ? { v6only: true } : {}) };
  } else {
    const a = parseIPv4(host);
    if (a === null) throw bad('expected an IPv4 address, [IPv6] or *');
    ep = { family: 4, addr: a === 0 ? null : a, port };
  }
  if (dev !== undefined) ep.dev = dev;
  return ep;
}

export function parseSs(file: string, text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const lineNo = i + 1;
    const f = raw.trim().split(/\s+/);
    if (f[0] === 'Netid' || f[0] === 'State') {
      throw new HostError(file, `line ${lineNo}`, 'header line found: record with ss -H (-Htuanp)');
    }
    if (f.length < 6) throw new HostError(file, `line ${lineNo}`, `expected "Netid State Recv-Q Send-Q Local Peer [Process]", found ${f.length} fields`);
    const [netid, state, rq, sq, local, peer] = f as [string, string, string, string, string, string];
    if (netid !== 'tcp' && netid !== 'udp') {
      throw new HostError(file, `line ${lineNo}`, `unsupported socket type "${netid}" (expected tcp or udp: record with ss -Htuanp)`);
    }
    if (!/^\d+$/.test(rq) || !/^\d+$/.test(sq)) throw new HostError(file, `line ${lineNo}`, `expected numeric Recv-Q/Send-Q, found "${rq}" "${sq}"`);
    const l = endpoint(local, file, lineNo, 'local');
    const p = endpoint(peer, file, lineNo, 'peer');
    const e: SocketEntry = {
      proto: netid,
      state,
      family: l.family,
      local: l.addr,
      localStr: local,
      localPort: l.port,
      peer: p.addr,
      peerStr: peer,
      peerPort: p.port,
      recvQ: Number(rq),
      sendQ: Number(sq),
    };
    if (l.dev !== undefined) e.boundDev = l.dev;
    if (l.v6only !== undefined) e.v6only = l.v6only;
    const proc = f.slice(6).join(' ');
    if (proc) e.process = proc;
    out.push(e);
  }
  return out;
}
