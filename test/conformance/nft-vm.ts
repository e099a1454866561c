// A small interpreter of the nft virtual-machine programs the real `nft` compiles rules to, as
// nftables' tests/py `.payload` files print them (libnftnl's text form):
//   [ payload load 2b @ transport header + 2 => reg 1 ]
//   [ cmp eq reg 1 0x00001600 ]
// It is the oracle of the differential test: written from the kernel's expression code
// (net/netfilter/nft_payload.c, nft_cmp.c, nft_bitwise.c, nft_range.c, nft_lookup.c,
// nft_byteorder.c, nft_immediate.c, nft_meta.c, nf_tables_core.c) and nothing of pktlife's.
//
// Registers: the kernel's regs->data[] as bytes. NFT_REG_1..4 (16 bytes) sit at u32 index 4*n,
// NFT_REG32_00..15 (numbered 8..23) at u32 index n-8+4 (nft_parse_register). libnftnl prints
// constants as u32 words in host order: on x86 each word's bytes are little-endian.

export interface VmSet {
  name: string;
  flags: number;
  elems: { key: Uint8Array; hi?: Uint8Array; data?: Uint8Array; verdict?: string; end: boolean; catchall?: boolean }[];
}

export type Instr =
  | { op: 'payload'; base: 'll' | 'nh' | 'th' | 'ih'; off: number; len: number; dreg: number }
  | { op: 'meta'; key: string; dreg: number }
  | { op: 'exthdr'; kind: 'ipv6' | 'tcpopt'; type: number; off: number; len: number; present: boolean; dreg: number }
  | { op: 'cmp'; cmp: string; sreg: number; data: Uint8Array }
  | { op: 'range'; cmp: 'eq' | 'neq'; sreg: number; lo: Uint8Array; hi: Uint8Array }
  | { op: 'bitwise'; sreg: number; dreg: number; mask?: Uint8Array; xor?: Uint8Array; shift?: ['<<' | '>>', number] }
  | { op: 'byteorder'; sreg: number; dreg: number; size: number; len: number }
  | { op: 'lookup'; sreg: number; set: string; inv: boolean; dreg?: number }
  | { op: 'immediate'; dreg: number; verdict?: string; chain?: string; data?: Uint8Array }
  | { op: 'meta_set'; key: string; sreg: number }
  | { op: 'limit'; rate: number; unit: string; burst: number; bytes: boolean; invert: boolean }
  | { op: 'quota'; bytes: number; consumed: number; invert: boolean }
  | { op: 'numgen'; dreg: number; mod: number; offset: number }
  | { op: 'jhash'; dreg: number; sreg: number; len: number; seed: number; mod: number; offset: number }
  | { op: 'final'; verdict: string; nat: boolean }
  | { op: 'nop'; what: string }
  | { op: 'unknown'; what: string };

export interface VmEntry {
  rule: string;
  family: string;
  chain: string;
  sets: VmSet[];
  prog: Instr[];
  file: string;
}

/** "0x0000e800 0x00000001" -> bytes, each word little-endian */
export function wordsToBytes(words: string[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => {
    const v = parseInt(w.replace(/^0x/, ''), 16) >>> 0;
    b[i * 4] = v & 255; b[i * 4 + 1] = (v >>> 8) & 255; b[i * 4 + 2] = (v >>> 16) & 255; b[i * 4 + 3] = v >>> 24;
  });
  return b;
}

const BASES: Record<string, 'll' | 'nh' | 'th' | 'ih'> = { link: 'll', network: 'nh', transport: 'th', inner: 'ih' };
const VERDICT_WORDS = new Set(['accept', 'drop', 'continue', 'return', 'jump', 'goto', 'queue']);

export function parseInstr(line: string): Instr {
  const s = line.trim().replace(/^\[\s*/, '').replace(/\s*\]$/, '');
  let m: RegExpExecArray | null;
  if ((m = /^payload load (\d+)b @ (link|network|transport|inner) header \+ (\d+) => reg (\d+)$/.exec(s))) return { op: 'payload', base: BASES[m[2]!]!, len: +m[1]!, off: +m[3]!, dreg: +m[4]! };
  if ((m = /^exthdr load (?:(ipv6|tcpopt) )?(\d+)b @ (\d+) \+ (\d+)( present)? => reg (\d+)$/.exec(s))) return { op: 'exthdr', kind: (m[1] ?? 'ipv6') as 'ipv6', len: +m[2]!, type: +m[3]!, off: +m[4]!, present: !!m[5], dreg: +m[6]! };
  if ((m = /^meta load (\S+) => reg (\d+)$/.exec(s))) return { op: 'meta', key: m[1]!, dreg: +m[2]! };
  if ((m = /^cmp (eq|neq|lt|lte|gt|gte) reg (\d+) ((?:0x[0-9a-f]+ ?)+)$/.exec(s))) return { op: 'cmp', cmp: m[1]!, sreg: +m[2]!, data: wordsToBytes(m[3]!.trim().split(/\s+/)) };
  if ((m = /^range (eq|neq) reg (\d+) ((?:0x[0-9a-f]+ ?)+)$/.exec(s))) {
    const w = m[3]!.trim().split(/\s+/);
    return { op: 'range', cmp: m[1] as 'eq', sreg: +m[2]!, lo: wordsToBytes(w.slice(0, w.length / 2)), hi: wordsToBytes(w.slice(w.length / 2)) };
  }
  if ((m = /^bitwise reg (\d+) = \( reg (\d+) & ((?:0x[0-9a-f]+ ?)+) \) \^ ((?:0x[0-9a-f]+ ?)+)$/.exec(s))) return { op: 'bitwise', dreg: +m[1]!, sreg: +m[2]!, mask: wordsToBytes(m[3]!.trim().split(/\s+/)), xor: wordsToBytes(m[4]!.trim().split(/\s+/)) };
  if ((m = /^bitwise reg (\d+) = \( reg (\d+) (<<|>>) (0x[0-9a-f]+) \)$/.exec(s))) return { op: 'bitwise', dreg: +m[1]!, sreg: +m[2]!, shift: [m[3] as '<<', parseInt(m[4]!, 16)] };
  if ((m = /^byteorder reg (\d+) = (hton|ntoh)\(reg (\d+), (\d+), (\d+)\)$/.exec(s))) return { op: 'byteorder', dreg: +m[1]!, sreg: +m[3]!, size: +m[4]!, len: +m[5]! };
  if ((m = /^lookup reg (\d+) set (\S+)(?: dreg (\d+))?(?: (0x[0-9a-f]+))?$/.exec(s))) return { op: 'lookup', sreg: +m[1]!, set: m[2]!, dreg: m[3] !== undefined ? +m[3] : undefined, inv: m[4] !== undefined && (parseInt(m[4], 16) & 1) === 1 };
  if ((m = /^immediate reg (\d+) (accept|drop|continue|return|queue)$/.exec(s))) return { op: 'immediate', dreg: +m[1]!, verdict: m[2]! };
  if ((m = /^immediate reg (\d+) (jump|goto) -> (\S+)$/.exec(s))) return { op: 'immediate', dreg: +m[1]!, verdict: m[2]!, chain: m[3]! };
  if ((m = /^immediate reg (\d+) ((?:0x[0-9a-f]+ ?)+)$/.exec(s))) return { op: 'immediate', dreg: +m[1]!, data: wordsToBytes(m[2]!.trim().split(/\s+/)) };
  if ((m = /^meta set (\S+) with reg (\d+)$/.exec(s))) return { op: 'meta_set', key: m[1]!, sreg: +m[2]! };
  if (/^(counter|log|notrack)\b/.test(s)) return { op: 'nop', what: s.split(' ')[0]! };
  if ((m = /^limit rate (\d+)\/(second|minute|hour|day|week) burst (\d+) type (packets|bytes) flags (0x[0-9a-f]+)$/.exec(s))) return { op: 'limit', rate: +m[1]!, unit: m[2]!, burst: +m[3]!, bytes: m[4] === 'bytes', invert: (parseInt(m[5]!, 16) & 1) === 1 };
  if ((m = /^quota bytes (\d+) consumed (\d+) flags (\d+)$/.exec(s))) return { op: 'quota', bytes: +m[1]!, consumed: +m[2]!, invert: (+m[3]! & 1) === 1 };
  if ((m = /^numgen reg (\d+) = inc mod (\d+)(?: offset (\d+))?$/.exec(s))) return { op: 'numgen', dreg: +m[1]!, mod: +m[2]!, offset: +(m[3] ?? 0) };
  if ((m = /^hash reg (\d+) = jhash\(reg (\d+), (\d+), (0x[0-9a-f]+)\) % mod (\d+)(?: offset (\d+))?$/.exec(s))) return { op: 'jhash', dreg: +m[1]!, sreg: +m[2]!, len: +m[3]!, seed: parseInt(m[4]!, 16), mod: +m[5]!, offset: +(m[6] ?? 0) };
  // reject ends the rule with NF_DROP (nft_reject_*_eval); nat/masq/redir with the NAT setup's verdict (needs conntrack)
  if (/^reject /.test(s)) return { op: 'final', verdict: 'drop', nat: false };
  if (/^(masq|redir|nat)\b/.test(s)) return { op: 'final', verdict: 'accept', nat: true };
  // `bypass` in the listing: nft_queue_eval ORs NF_VERDICT_FLAG_QUEUE_BYPASS into the verdict (a distinct outcome)
  if (/^queue (num|sreg_qnum)\b/.test(s)) return { op: 'final', verdict: /\bbypass\b/.test(s) ? 'queue bypass' : 'queue', nat: false };
  return { op: 'unknown', what: s.split(' ').slice(0, 2).join(' ') };
}

/** every entry of one .payload file */
export function parsePayloadFile(text: string, file: string): VmEntry[] {
  const out: VmEntry[] = [];
  let cur: VmEntry | null = null;
  let curSet: VmSet | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line.startsWith('# ')) {
      cur = { rule: line.slice(2).trim(), family: '', chain: '', sets: [], prog: [], file };
      out.push(cur);
      curSet = null;
      continue;
    }
    if (!cur || line === '') continue;
    if (/^\s*\[/.test(line)) { cur.prog.push(parseInstr(line)); continue; }
    if (/^\s+element /.test(line) || /^\telement/.test(line)) {
      if (!curSet) continue;
      for (const el of line.replace(/\s*userdata = .*$/, '').trim().split(/(?=element )/)) {
        // a catch-all element has no key: `element  : accept 2 [end]` (flags NFT_SET_ELEM_CATCHALL)
        const m = /^element ((?:[0-9a-f]{8} ?)*?)\s*(?:-\s*((?:[0-9a-f]{8} ?)+?))?\s*:\s*(.*?)\s*\[end\]\s*$/.exec(el.trim());
        if (!m) continue;
        const key = m[1]!.trim() ? wordsToBytes(m[1]!.trim().split(/\s+/)) : new Uint8Array(0);
        const hi = m[2] ? wordsToBytes(m[2].trim().split(/\s+/)) : undefined;
        const rest = m[3]!.split(/\s+/);
        const flags = Number(rest.pop());
        const e: VmSet['elems'][number] = { key, hi, end: (flags & 1) === 1, catchall: (flags & 2) === 2 };
        if (rest.length && VERDICT_WORDS.has(rest[0]!)) e.verdict = rest[0];
        else if (rest.length) e.data = wordsToBytes(rest);
        curSet.elems.push(e);
      }
      continue;
    }
    const sm = /^(__set%d|__map%d|__objmap%d|[A-Za-z][\w-]*) (\S+) (\S+)( size \d+)?$/.exec(line);
    if (sm && !cur.family && sm[1]!.startsWith('__')) {
      // "__set%d test-ip4 3" declares (flags), the next "__set%d test-ip4 0" starts its elements
      if (sm[3] !== '0' || !curSet || curSet.name !== sm[1]) {
        curSet = { name: sm[1]!, flags: parseInt(sm[3]!, 16), elems: [] };
        cur.sets.push(curSet);
      }
      continue;
    }
    // "inet test-inet input", or the family alone (tcpopt.t.payload, sctp.t.payload, frag.t.payload.netdev...)
    const hm = /^(ip|ip6|inet|arp|bridge|netdev)(?: (\S+) (\S+))?$/.exec(line.trim());
    if (hm && !cur.family) { cur.family = hm[1]!; cur.chain = hm[3] ?? ''; continue; }
  }
  return out.filter((e) => e.family);
}

// ---- evaluation ----

export interface VmDevice { name: string; ifindex: number; type: number }

/** what the kernel's nft_pktinfo holds for one packet at one hook (nft_set_pktinfo_*) */
export interface VmPacket {
  /** capture time in ns since the first packet (limit buckets) */
  tns: number;
  /** the whole frame: Ethernet header at 0 */
  frame: Uint8Array;
  /** offsets in frame; nh -1 when there is no network header */
  nh: number;
  /** NFPROTO of the hook (nft_pf) */
  pf: number;
  /** skb->protocol (host number) */
  protocol: number;
  mark: number;
  pktType: number;
  in: VmDevice | null;
  out: VmDevice | null;
}

interface PktInfo { tprot: number; tprotSet: boolean; thoff: number; fragoff: number }

function be16(b: Uint8Array, o: number): number { return (b[o]! << 8) | b[o + 1]!; }

/** nft_set_pktinfo_ipv4_validate / nft_set_pktinfo_ipv6 (ipv6_find_hdr), else unspec */
export function pktinfo(p: VmPacket): PktInfo {
  const none = { tprot: 0, tprotSet: false, thoff: 0, fragoff: 0 };
  const b = p.frame, nh = p.nh;
  const l3 = p.pf === 2 || p.pf === 10 ? p.pf : p.protocol === 0x0800 ? 2 : p.protocol === 0x86dd ? 10 : 0;
  // bridge/netdev families: nft_set_pktinfo by skb->protocol (nft_do_chain_netdev / nft_do_chain_bridge)
  if (nh < 0) return none;
  const len = b.length - nh;
  if (l3 === 2) {
    if (len < 20) return none;
    const ihl = b[nh]! & 15;
    if (b[nh]! >> 4 !== 4 || ihl < 5) return none;
    const tot = be16(b, nh + 2);
    if (len < tot || tot < ihl * 4) return none;
    return { tprot: b[nh + 9]!, tprotSet: true, thoff: nh + ihl * 4, fragoff: (be16(b, nh + 6) & 0x1fff) * 8 };
  }
  if (l3 === 10) {
    if (len < 40 || b[nh]! >> 4 !== 6) return none;
    const plen = be16(b, nh + 4);
    if (plen + 40 > len) return none;
    // ipv6_find_hdr(.., -1, .., &flags) with flags = IP6_FH_F_AUTH (nft_set_pktinfo_ipv6): walk
    // hop-by-hop, routing, destination options, fragment; an AH header is the transport protocol
    let nexthdr = b[nh + 6]!, off = nh + 40, fragoff = 0;
    for (;;) {
      if (nexthdr === 0 || nexthdr === 43 || nexthdr === 60) {
        if (off + 8 > b.length) return none;
        const hl = (b[off + 1]! + 1) * 8;
        nexthdr = b[off]!;
        off += hl;
      } else if (nexthdr === 44) {
        if (off + 8 > b.length) return none;
        fragoff = be16(b, off + 2) & 0xfff8;
        nexthdr = b[off]!;
        off += 8;
        if (fragoff) break;
      } else break;
    }
    return { tprot: nexthdr, tprotSet: true, thoff: off, fragoff };
  }
  return none;
}

export interface VmResult {
  /** NFT_BREAK reached: the rule does not match */
  broke: boolean;
  verdict?: string;
  chain?: string;
  mark: number;
  /** an instruction the interpreter does not know was reached */
  unknown?: string;
  /** a nat statement decided the verdict (it needs conntrack: only the match is compared) */
  nat?: boolean;
}

/** per-rule state of stateful expressions, kept across packets (the expression's private data) */
export type VmState = Map<number, { tokens: number; last: number; consumed: number; counter: number }>;

function regOff(r: number): number {
  return r <= 4 ? r * 16 : (r - 8 + 4) * 4;
}

function memcmp(a: Uint8Array, ao: number, b: Uint8Array, len: number): number {
  for (let i = 0; i < len; i++) {
    const d = a[ao + i]! - b[i]!;
    if (d) return d;
  }
  return 0;
}

export function runProgram(e: VmEntry, p: VmPacket, state: VmState = new Map()): VmResult {
  const regs = new Uint8Array(20 * 4 + 64);
  const info = pktinfo(p);
  let mark = p.mark >>> 0;
  let setIdx = 0;
  // registers holding an interface name: a cmp shorter than IFNAMSIZ is a wildcard prefix ("eth*"),
  // whose real length the text form does not print (the last word is zero-padded)
  const ifnameReg = new Set<number>();
  const res: VmResult = { broke: false, mark };
  for (let pc = 0; pc < e.prog.length; pc++) {
    const ins = e.prog[pc]!;
    switch (ins.op) {
      case 'limit': {
        // nft_limit_init / nft_limit_eval (bucket full when the rule is loaded: here at the first packet)
        const unit = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 }[ins.unit]! * 1e9;
        const burst = !ins.bytes && ins.burst === 0 ? 5 : ins.burst;
        const max = ins.bytes ? Math.floor((unit * (ins.rate + burst)) / ins.rate) : Math.floor(unit / ins.rate) * burst;
        let st = state.get(pc);
        if (!st) state.set(pc, (st = { tokens: max, last: p.tns, consumed: 0, counter: 0 }));
        const cost = ins.bytes ? Math.floor((unit * (p.frame.length - (p.nh >= 0 ? p.nh : 14))) / ins.rate) : Math.floor(unit / ins.rate);
        let tokens = st.tokens + p.tns - st.last;
        if (tokens > max) tokens = max;
        st.last = p.tns;
        const delta = tokens - cost;
        let brkNow: boolean;
        if (delta >= 0) { st.tokens = delta; brkNow = ins.invert; } else { st.tokens = tokens; brkNow = !ins.invert; }
        if (brkNow) return brk(res, mark);
        break;
      }
      case 'quota': {
        let st = state.get(pc);
        if (!st) state.set(pc, (st = { tokens: 0, last: 0, consumed: ins.consumed, counter: 0 }));
        st.consumed += p.frame.length - (p.nh >= 0 ? p.nh : 14);
        if ((st.consumed > ins.bytes) !== ins.invert) return brk(res, mark);
        break;
      }
      case 'numgen': {
        let st = state.get(pc);
        if (!st) state.set(pc, (st = { tokens: 0, last: 0, consumed: 0, counter: ins.mod - 1 }));
        st.counter = st.counter + 1 < ins.mod ? st.counter + 1 : 0;
        const v = (st.counter + ins.offset) >>> 0, d = regOff(ins.dreg);
        regs[d] = v & 255; regs[d + 1] = (v >>> 8) & 255; regs[d + 2] = (v >>> 16) & 255; regs[d + 3] = v >>> 24;
        break;
      }
      case 'jhash': {
        const h = vmJhash(regs.subarray(regOff(ins.sreg), regOff(ins.sreg) + ins.len), ins.len, ins.seed);
        const v = (Number((BigInt(h) * BigInt(ins.mod)) >> 32n) + ins.offset) >>> 0, d = regOff(ins.dreg);
        regs[d] = v & 255; regs[d + 1] = (v >>> 8) & 255; regs[d + 2] = (v >>> 16) & 255; regs[d + 3] = v >>> 24;
        break;
      }
      case 'final':
        res.verdict = ins.verdict;
        res.nat = ins.nat;
        return { ...res, mark };
      case 'payload': {
        // nft_payload_eval
        const d = regOff(ins.dreg);
        let off: number;
        if (ins.base === 'll') off = 0;
        else if (ins.base === 'nh') { if (p.nh < 0) return brk(res, mark); off = p.nh; }
        else if (ins.base === 'th') { if (!info.tprotSet || info.fragoff) return brk(res, mark); off = info.thoff; }
        else return { ...res, unknown: 'inner header' };
        if (ins.len % 4) regs.fill(0, d + Math.floor(ins.len / 4) * 4, d + Math.floor(ins.len / 4) * 4 + 4);
        if (off + ins.off + ins.len > p.frame.length) return brk(res, mark);
        regs.set(p.frame.subarray(off + ins.off, off + ins.off + ins.len), d);
        break;
      }
      case 'exthdr': {
        const d = regOff(ins.dreg);
        const at = ins.kind === 'ipv6' ? findHdr6(p, ins.type) : tcpOpt(p, info, ins.type, ins.off, ins.len);
        if (ins.present) {
          // nft_reg_store8 / *dest = (err >= 0): a u32 store of 0 or 1
          regs.fill(0, d, d + 4);
          regs[d] = ins.kind === 'ipv6' ? (at >= 0 ? 1 : 0) : at >= 0 ? 1 : 0;
          break;
        }
        if (at < 0) return brk(res, mark);
        const o = ins.kind === 'ipv6' ? at + ins.off : at;
        if (ins.len % 4) regs.fill(0, d + Math.floor(ins.len / 4) * 4, d + Math.floor(ins.len / 4) * 4 + 4);
        if (o + ins.len > p.frame.length) return brk(res, mark);
        regs.set(p.frame.subarray(o, o + ins.len), d);
        break;
      }
      case 'meta': {
        const d = regOff(ins.dreg);
        if (ins.key === 'iifname' || ins.key === 'oifname') ifnameReg.add(ins.dreg); else ifnameReg.delete(ins.dreg);
        const st32 = (v: number) => { regs[d] = v & 255; regs[d + 1] = (v >>> 8) & 255; regs[d + 2] = (v >>> 16) & 255; regs[d + 3] = v >>> 24; };
        const st8 = (v: number) => st32(v & 255);
        const st16 = (v: number) => st32(v & 0xffff);
        switch (ins.key) {
          case 'len': st32(p.frame.length - (p.nh >= 0 ? p.nh : 14)); break;
          case 'protocol': st16(((p.protocol & 255) << 8) | (p.protocol >> 8)); break; // be16 in the register
          case 'nfproto': st8(p.pf); break;
          case 'l4proto': if (!info.tprotSet) return brk(res, mark); st8(info.tprot); break;
          case 'mark': st32(mark); break;
          case 'iif': st32(p.in?.ifindex ?? 0); break;
          case 'oif': st32(p.out?.ifindex ?? 0); break;
          case 'iifname': case 'oifname': {
            const dev = ins.key === 'iifname' ? p.in : p.out;
            regs.fill(0, d, d + 16);
            const n = dev?.name ?? '';
            for (let i = 0; i < n.length && i < 16; i++) regs[d + i] = n.charCodeAt(i);
            break;
          }
          case 'iiftype': case 'oiftype': {
            const dev = ins.key === 'iiftype' ? p.in : p.out;
            if (!dev) return brk(res, mark);
            st16(dev.type);
            break;
          }
          case 'pkttype': st8(p.pktType); break;
          default: return { ...res, unknown: `meta ${ins.key}` };
        }
        break;
      }
      case 'cmp': {
        let n = ins.data.length;
        if (ifnameReg.has(ins.sreg) && n < 16) while (n > 0 && ins.data[n - 1] === 0) n--;
        const c = memcmp(regs, regOff(ins.sreg), ins.data, n);
        const ok = ins.cmp === 'eq' ? c === 0 : ins.cmp === 'neq' ? c !== 0 : ins.cmp === 'lt' ? c < 0 : ins.cmp === 'lte' ? c <= 0 : ins.cmp === 'gt' ? c > 0 : c >= 0;
        if (!ok) return brk(res, mark);
        break;
      }
      case 'range': {
        const o = regOff(ins.sreg);
        const inside = memcmp(regs, o, ins.lo, ins.lo.length) >= 0 && memcmp(regs, o, ins.hi, ins.hi.length) <= 0;
        if (inside !== (ins.cmp === 'eq')) return brk(res, mark);
        break;
      }
      case 'bitwise': {
        const s = regOff(ins.sreg), d = regOff(ins.dreg);
        if (ins.mask) {
          const n = ins.mask.length;
          const tmp = new Uint8Array(n);
          for (let i = 0; i < n; i++) tmp[i] = (regs[s + i]! & ins.mask[i]!) ^ ins.xor![i]!;
          regs.set(tmp, d);
        } else {
          // nft_bitwise_eval_lshift/rshift on host-order u32 words (one word here)
          const v = (regs[s]! | (regs[s + 1]! << 8) | (regs[s + 2]! << 16) | (regs[s + 3]! << 24)) >>> 0;
          const r = ins.shift![0] === '<<' ? (v << ins.shift![1]) >>> 0 : v >>> ins.shift![1];
          regs[d] = r & 255; regs[d + 1] = (r >>> 8) & 255; regs[d + 2] = (r >>> 16) & 255; regs[d + 3] = r >>> 24;
        }
        break;
      }
      case 'byteorder': {
        // on a little-endian host hton and ntoh both reverse each `size`-byte element
        const s = regOff(ins.sreg), d = regOff(ins.dreg);
        const src = regs.slice(s, s + ins.len);
        for (let i = 0; i + ins.size <= ins.len; i += ins.size) for (let j = 0; j < ins.size; j++) regs[d + i + j] = src[i + ins.size - 1 - j]!;
        break;
      }
      case 'lookup': {
        const set = ins.set.startsWith('__') ? e.sets.filter((x) => x.name === ins.set)[setIdx++] : undefined;
        if (!set) return { ...res, unknown: `lookup in named set ${ins.set}` };
        const hit = lookup(set, regs, regOff(ins.sreg), set.flags & CONCAT ? concatFields(e.prog, pc, ins.sreg) : null);
        if ((hit !== null) === ins.inv) return brk(res, mark);
        if (ins.dreg !== undefined && hit) {
          if (ins.dreg === 0) { res.verdict = hit.verdict; return { ...res, mark }; }
          if (hit.data) regs.set(hit.data, regOff(ins.dreg));
        }
        break;
      }
      case 'immediate':
        if (ins.dreg === 0) { res.verdict = ins.verdict; res.chain = ins.chain; return { ...res, mark }; }
        regs.set(ins.data!, regOff(ins.dreg));
        break;
      case 'meta_set':
        if (ins.key !== 'mark') return { ...res, unknown: `meta set ${ins.key}` };
        { const s = regOff(ins.sreg); mark = (regs[s]! | (regs[s + 1]! << 8) | (regs[s + 2]! << 16) | (regs[s + 3]! << 24)) >>> 0; }
        break;
      case 'nop': break;
      case 'unknown': return { ...res, unknown: ins.what };
    }
  }
  return { ...res, mark };
}

function brk(res: VmResult, mark: number): VmResult {
  return { ...res, broke: true, mark };
}

/** NFT_SET_CONCAT: the key is several fields, each in its own 4-byte aligned registers */
const CONCAT = 0x80;

/** the byte widths (register-aligned) of the fields loaded into consecutive registers from `sreg` before
 * instruction `pc` (pipapo's field_len: nft sends them as NFTA_SET_DESC_CONCAT, not in the listing) */
function concatFields(prog: Instr[], pc: number, sreg: number): number[] {
  const len = new Map<number, number>();
  for (let i = 0; i < pc; i++) {
    const x = prog[i]!;
    if (x.op === 'payload' || x.op === 'exthdr') len.set(regOff(x.dreg), x.len);
    else if (x.op === 'meta') len.set(regOff(x.dreg), /name$/.test(x.key) ? 16 : 4);
  }
  const out: number[] = [];
  for (let o = regOff(sreg); len.has(o); ) { const w = Math.ceil(len.get(o)! / 4) * 4; out.push(w); o += w; }
  return out;
}

/** nft_lookup on the set types nft picks: hash (exact), rbtree (intervals with end markers), pipapo
 * (concatenated ranges: every field within its own range); the catch-all element when none matches
 * (nft_lookup_eval -> nft_set_catchall_lookup) */
function lookup(set: VmSet, regs: Uint8Array, o: number, fields: number[] | null): VmSet['elems'][number] | null {
  const elems = set.elems.filter((x) => !x.catchall);
  return lookupElems(set.flags, elems, regs, o, fields) ?? set.elems.find((x) => x.catchall) ?? null;
}

function lookupElems(flags: number, elems: VmSet['elems'], regs: Uint8Array, o: number, fields: number[] | null): VmSet['elems'][number] | null {
  const INTERVAL = 4;
  const len = elems[0]?.key.length ?? 0;
  if (elems.some((x) => x.hi)) {
    const widths = fields && fields.reduce((a, b) => a + b, 0) === len ? fields : [len];
    const within = (el: VmSet['elems'][number]) => {
      let at = 0;
      for (const w of widths) {
        const lo = el.key.subarray(at, at + w), hi = (el.hi ?? el.key).subarray(at, at + w);
        if (memcmp(regs, o + at, lo, w) < 0 || memcmp(regs, o + at, hi, w) > 0) return false;
        at += w;
      }
      return true;
    };
    for (const el of elems) if (within(el)) return el;
    return null;
  }
  const set = { flags, elems };
  if (set.flags & INTERVAL) {
    // rbtree: the greatest element <= key decides; an interval end marker means outside
    let best: VmSet['elems'][number] | null = null;
    for (const el of set.elems) {
      if (memcmp(regs, o, el.key, len) >= 0 && (!best || cmpBytes(el.key, best.key) > 0 || (cmpBytes(el.key, best.key) === 0 && !el.end))) best = el;
    }
    return best && !best.end ? best : null;
  }
  for (const el of set.elems) if (memcmp(regs, o, el.key, len) === 0) return el;
  return null;
}

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) { const d = a[i]! - b[i]!; if (d) return d; }
  return 0;
}

/** ipv6_find_hdr(skb, &offset, target, NULL, NULL) (net/ipv6/exthdrs_core.c) */
function findHdr6(p: VmPacket, target: number): number {
  const b = p.frame, nh = p.nh;
  const l3 = p.pf === 10 || p.protocol === 0x86dd;
  if (!l3 || nh < 0 || nh + 40 > b.length || b[nh]! >> 4 !== 6) return -1;
  let nexthdr = b[nh + 6]!, start = nh + 40;
  while (nexthdr !== target) {
    if (![0, 43, 44, 51, 60].includes(nexthdr)) return -1; // ipv6_ext_hdr() (NONE ends the walk too)
    if (start + 8 > b.length) return -1;
    let hdrlen: number;
    if (nexthdr === 44) {
      if ((be16(b, start + 2) & 0xfff8) !== 0) return -1;
      hdrlen = 8;
    } else if (nexthdr === 51) hdrlen = (b[start + 1]! + 2) << 2;
    else hdrlen = (b[start + 1]! + 1) << 3;
    nexthdr = b[start]!;
    start += hdrlen;
  }
  return start;
}

/** nft_exthdr_tcp_eval: offset of the field in the first option of this kind, -1 for NFT_BREAK */
function tcpOpt(p: VmPacket, info: PktInfo, type: number, off: number, len: number): number {
  if (!info.tprotSet || info.tprot !== 6 || info.fragoff) return -1;
  const b = p.frame, th = info.thoff;
  if (th + 20 > b.length) return -1;
  const hl = (b[th + 12]! >> 4) * 4;
  if (hl < 20 || th + hl > b.length) return -1;
  for (let i = 20; i < hl - 1; ) {
    const optl = b[th + i]! <= 1 || b[th + i + 1] === 0 ? 1 : b[th + i + 1]!;
    if (b[th + i] === type) {
      if (i + optl > hl || len + off > optl) return -1;
      return th + i + off;
    }
    i += optl;
  }
  return -1;
}

/** include/linux/jhash.h jhash() on a little-endian host */
function vmJhash(k: Uint8Array, length: number, initval: number): number {
  const rol = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;
  let a = (0xdeadbeef + length + initval) >>> 0, b = a, c = a, o = 0;
  const w = (i: number) => (k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24)) >>> 0;
  const mix = () => {
    a = (a - c) >>> 0; a ^= rol(c, 4); a >>>= 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b ^= rol(a, 6); b >>>= 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c ^= rol(b, 8); c >>>= 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a ^= rol(c, 16); a >>>= 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b ^= rol(a, 19); b >>>= 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c ^= rol(b, 4); c >>>= 0; b = (b + a) >>> 0;
  };
  while (length > 12) { a = (a + w(o)) >>> 0; b = (b + w(o + 4)) >>> 0; c = (c + w(o + 8)) >>> 0; mix(); length -= 12; o += 12; }
  if (length === 0) return c;
  const byte = (i: number, sh: number) => (i < length ? (k[o + i]! << sh) >>> 0 : 0);
  c = (c + byte(8, 0) + byte(9, 8) + byte(10, 16) + byte(11, 24)) >>> 0;
  b = (b + byte(4, 0) + byte(5, 8) + byte(6, 16) + byte(7, 24)) >>> 0;
  a = (a + byte(0, 0) + byte(1, 8) + byte(2, 16) + byte(3, 24)) >>> 0;
  c ^= b; c = (c - rol(b, 14)) >>> 0; a ^= c; a = (a - rol(c, 11)) >>> 0; b ^= a; b = (b - rol(a, 25)) >>> 0;
  c ^= b; c = (c - rol(b, 16)) >>> 0; a ^= c; a = (a - rol(c, 4)) >>> 0; b ^= a; b = (b - rol(a, 14)) >>> 0;
  c ^= b; c = (c - rol(b, 24)) >>> 0;
  return c >>> 0;
}
