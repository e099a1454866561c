// The filter expression of the `/` prompt. Space-separated terms are ANDed; a term is
//   key=v1,v2   (any of the values)     key!=v   (none of them)     word   (free text)
// keys: fate, reason, if (iface, dev: ingress or egress), addr (host, ip: IP source or
// destination, ARP sender or target, or named in the summary, e.g. an ND target), port, proto, fn (a
// kernel function on the journey), rule (text of a deciding rule or chain). A bare word that
// is an IPv4/IPv6 address, a fate or a protocol name means that key; `unsupported` selects the
// frames whose result rests on something the model does not support. Case-insensitive.
import { addressesOf, protocolsOf } from './decode.js';
import { FATES, type RowStore } from './store.js';

export type Pred = (s: RowStore, i: number) => boolean;

export interface Filter {
  text: string;
  pred: Pred;
}

export class FilterError extends Error {}

const KEYS = ['fate', 'reason', 'if', 'addr', 'port', 'proto', 'fn', 'rule', 'text'] as const;
type Key = (typeof KEYS)[number];
const ALIASES: Record<string, Key> = { iface: 'if', dev: 'if', host: 'addr', ip: 'addr', src: 'addr', dst: 'addr', protocol: 'proto' };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f]*:[0-9a-f:.]*$/i;
const PROTOS = ['tcp', 'udp', 'icmp', 'icmp6', 'arp', 'ip', 'ip6', 'sctp', 'igmp', 'gre', 'esp', 'vlan'];

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function addrRe(a: string): RegExp {
  // an address in a tcpdump -nn line, possibly followed by ".port", never part of a longer one
  const v6 = a.includes(':');
  return v6
    ? new RegExp(`(^|[^0-9a-f:])${esc(a)}(?=[ ,:>]|\\.\\d|$)`, 'i')
    : new RegExp(`(^|[^\\d.])${esc(a)}(?=[ ,:>]|\\.\\d+[ :,]|$)`);
}

function portRe(p: string): RegExp {
  // "10.0.0.1.22 >" / "fe80::1.22:" — the port is the field after a full address
  return new RegExp(`(\\d+\\.\\d+\\.\\d+\\.\\d+|[0-9a-f]*:[0-9a-f:]*)\\.${esc(p)}(?=[ :,]|$)`, 'i');
}

const IPPROTO_NUM: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, icmp6: 58, sctp: 132 };

/** from the frame's bytes when the source gave them, else from the tcpdump summary */
function protoTest(p: string): Pred {
  const num = IPPROTO_NUM[p];
  const fromSummary = ((): ((s: string) => boolean) => {
    switch (p) {
      case 'tcp':
        return (s) => /^IP6? .*: Flags \[/.test(s);
      case 'udp':
        return (s) => /^IP6? .*: UDP,/.test(s);
      case 'icmp':
        return (s) => /^IP .*: ICMP /.test(s);
      case 'icmp6':
        return (s) => /^IP6 .*ICMP6/.test(s);
      case 'arp':
        return (s) => /^ARP\b/.test(s);
      case 'ip':
        return (s) => /^IP /.test(s);
      case 'ip6':
        return (s) => /^IP6 /.test(s);
      default: {
        const re = new RegExp(`\\b${esc(p)}\\b`, 'i');
        return (s) => re.test(s);
      }
    }
  })();
  return (s, i) => {
    const b = s.bytes(i);
    if (!b.length) return fromSummary(s.summary(i));
    const pr = protocolsOf(b, s.linktype[i]);
    if (p === 'ip' || p === 'ip6' || p === 'arp') return pr.l3 === p;
    if (num !== undefined) return pr.l4 === num;
    return fromSummary(s.summary(i));
  };
}

function termPred(key: Key, value: string): Pred {
  const v = value.toLowerCase();
  switch (key) {
    case 'fate': {
      if (!FATES.includes(v as never)) throw new FilterError(`unknown fate "${value}" (one of ${FATES.join(', ')})`);
      const code = FATES.indexOf(v as never);
      return (s, i) => s.fate[i] === code;
    }
    case 'reason': {
      const want = v.replace(/^skb_drop_reason_/, '').toUpperCase();
      return (s, i) => {
        const r = s.reasons[s.reason[i]];
        return r !== '' && (r === want || r.startsWith(want));
      };
    }
    case 'if':
      return (s, i) => {
        if (s.ifaces[s.iface[i]].toLowerCase() === v) return true;
        const eg = s.rest(i).egress;
        return !!eg && eg.some((e) => e.toLowerCase() === v);
      };
    case 'addr': {
      if (!IPV4.test(value) && !IPV6.test(value)) throw new FilterError(`"${value}" is not an IPv4 or IPv6 address`);
      const re = addrRe(value);
      const want = v;
      return (s, i) => {
        const b = s.bytes(i);
        return (b.length > 0 && addressesOf(b, s.linktype[i]).includes(want)) || re.test(s.summary(i));
      };
    }
    case 'port': {
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new FilterError(`"${value}" is not a port number`);
      const re = portRe(value);
      return (s, i) => re.test(s.summary(i));
    }
    case 'proto': {
      if (!/^[a-z0-9]+$/i.test(value)) throw new FilterError(`"${value}" is not a protocol name`);
      return protoTest(v);
    }
    case 'fn':
      return (s, i) => s.someEvent(i, (e) => e.fn.toLowerCase().includes(v));
    case 'rule':
      return (s, i) =>
        !!s.rest(i).verdicts?.some((x) => `${x.table} ${x.chain} ${x.rule ?? ''} ${x.source ?? ''}`.toLowerCase().includes(v));
    case 'text':
      return (s, i) =>
        s.summary(i).toLowerCase().includes(v) ||
        s.reasons[s.reason[i]].toLowerCase().includes(v) ||
        s.ifaces[s.iface[i]].toLowerCase().includes(v);
  }
}

/** Parse a filter expression; throws FilterError with the offending term. Empty -> null. */
export function parseFilter(text: string): Filter | null {
  const terms = text.trim().split(/\s+/).filter(Boolean);
  if (!terms.length) return null;
  const preds: Pred[] = [];
  for (const t of terms) {
    const m = /^([a-z]+)(!?=)(.*)$/i.exec(t);
    let pred: Pred;
    if (m) {
      const k = m[1].toLowerCase();
      const key = (ALIASES[k] ?? k) as Key;
      if (!KEYS.includes(key)) throw new FilterError(`unknown filter key "${m[1]}" (keys: ${KEYS.join(', ')})`);
      const vals = m[3].split(',').filter(Boolean);
      if (!vals.length) throw new FilterError(`"${t}" has no value`);
      const ps = vals.map((v) => termPred(key, v));
      const any: Pred = ps.length === 1 ? ps[0] : (s, i) => ps.some((p) => p(s, i));
      pred = m[2] === '!=' ? (s, i) => !any(s, i) : any;
    } else if (t.startsWith('!') && t.length > 1) {
      const p = bareWord(t.slice(1));
      pred = (s, i) => !p(s, i);
    } else {
      pred = bareWord(t);
    }
    preds.push(pred);
  }
  const pred: Pred = preds.length === 1 ? preds[0] : (s, i) => preds.every((p) => p(s, i));
  return { text: terms.join(' '), pred };
}

function bareWord(w: string): Pred {
  const lw = w.toLowerCase();
  if (IPV4.test(w) || (w.includes(':') && IPV6.test(w))) return termPred('addr', w);
  if (FATES.includes(lw as never)) return termPred('fate', lw);
  if (lw === 'unsupported') return (s, i) => s.unsup[i] === 1;
  if (PROTOS.includes(lw)) return termPred('proto', lw);
  return termPred('text', w);
}

/**
 * The rows that pass a filter, as indices into the store, computed incrementally (the store
 * keeps growing while the replay runs, and a filter over 1 M rows is done in slices).
 */
export class FilteredView {
  idx = new Uint32Array(1024);
  length = 0;
  /** store rows examined so far */
  scanned = 0;

  constructor(readonly filter: Filter) {}

  /** examine up to `max` more rows; returns true when caught up with the store */
  advance(s: RowStore, max: number): boolean {
    const end = Math.min(s.count, this.scanned + max);
    const pred = this.filter.pred;
    for (let i = this.scanned; i < end; i++) {
      if (pred(s, i)) {
        if (this.length === this.idx.length) {
          const b = new Uint32Array(this.idx.length * 2);
          b.set(this.idx);
          this.idx = b;
        }
        this.idx[this.length++] = i;
      }
    }
    this.scanned = end;
    return end === s.count;
  }

  /** position of the first view entry whose row is >= row (for keeping the selection) */
  lowerBound(row: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.idx[mid] < row) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
