// Classic BPF as the kernel runs it for cls_bpf (net/core/filter.c: bpf_convert_filter turns the
// classic program into eBPF with the classic semantics kept): accumulator A, index X, scratch
// M[16]; a load outside the packet, or a division by zero, ends the program with return 0
// (bpf_check_classic / the converted program's exits). Absolute loads at SKF_AD_OFF + n are the
// ancillary fields (convert_skb_access / convert_bpf_extensions), SKF_NET_OFF / SKF_LL_OFF loads
// are relative to the network / MAC header (bpf_internal_load_pointer_neg_helper).
import type { SkBuff } from '../skbuff.js';
import type { TcView } from './tc_view.js';

export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const SKF_AD_OFF = -0x1000;
const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/** the ancillary loads the model has a value for (include/uapi/linux/filter.h SKF_AD_*) */
const AD_NAMES: Record<number, string> = {
  0: 'protocol', 4: 'pkttype', 8: 'ifindex', 12: 'nlattr', 16: 'nlattr_nest', 20: 'mark', 24: 'queue', 28: 'hatype',
  32: 'rxhash', 36: 'cpu', 40: 'alu_xor_x', 44: 'vlan_tci', 48: 'vlan_avail', 52: 'pay_offset', 56: 'random', 60: 'vlan_tpid',
};

export interface BpfRun {
  /** the program's return value (u32) */
  ret: number;
  /** set when the result depends on something the model cannot know */
  unsupported: string | null;
}

/**
 * Run a classic program over the kernel's view of the frame (offsets from the MAC header: cls_bpf
 * pushes the MAC header back before running at ingress). Programs come from `tc -j` (the kernel
 * accepted them: bpf_check_classic), so jumps stay inside the program.
 */
export function bpf_prog_run_classic(prog: BpfInsn[], v: TcView, skb: SkBuff, out: BpfRun): number {
  let A = 0;
  let X = 0;
  const M = scratch;
  M.fill(0);
  out.unsupported = null;
  const load = (k: number, size: number): number => {
    let j = k | 0;
    if (j < 0) {
      if (j >= SKF_AD_OFF) return -2;
      if (j >= SKF_NET_OFF) j = v.macLen + (j - SKF_NET_OFF);
      else if (j >= SKF_LL_OFF) j = j - SKF_LL_OFF;
      else return -1;
    }
    return size === 4 ? v.u32(j) : size === 2 ? v.u16(j) : v.byte(j);
  };
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, k, jt, jf } = prog[pc]!;
    const cls = code & 7;
    switch (cls) {
      case 0: // BPF_LD
      case 1: { // BPF_LDX
        const mode = code & 0xe0;
        const size = (code & 0x18) === 0 ? 4 : (code & 0x18) === 8 ? 2 : 1;
        let val: number;
        if (mode === 0x00) val = k; // IMM
        else if (mode === 0x80) val = v.wireLen; // LEN: skb->len
        else if (mode === 0x60) val = M[k & 15]!; // MEM
        else if (mode === 0xa0) { // MSH: X = 4 * (P[k] & 0xf)
          const b = load(k, 1);
          if (b < 0) return finish(out, 0, v);
          X = (b & 0xf) << 2;
          continue;
        } else {
          const off = mode === 0x40 ? (X + k) | 0 : k | 0; // IND / ABS
          if (mode === 0x20 && off >= SKF_AD_OFF && off < 0) {
            const r = ancillary(off - SKF_AD_OFF, skb, v, A, X);
            if (r === null) {
              out.unsupported = `classic BPF ancillary load ${AD_NAMES[off - SKF_AD_OFF] ?? `SKF_AD_OFF+${off - SKF_AD_OFF}`} not modelled`;
              return finish(out, 0, v);
            }
            val = r;
          } else {
            val = load(off, size);
            if (val < 0) return finish(out, 0, v);
          }
        }
        if (cls === 0) A = val >>> 0;
        else X = val >>> 0;
        break;
      }
      case 2: M[k & 15] = A; break; // ST
      case 3: M[k & 15] = X; break; // STX
      case 4: { // ALU
        const src = code & 8 ? X : k >>> 0;
        switch (code & 0xf0) {
          case 0x00: A = (A + src) >>> 0; break;
          case 0x10: A = (A - src) >>> 0; break;
          case 0x20: A = Math.imul(A, src) >>> 0; break;
          case 0x30: if (src === 0) return finish(out, 0, v); A = Math.floor(A / src) >>> 0; break;
          case 0x40: A = (A | src) >>> 0; break;
          case 0x50: A = (A & src) >>> 0; break;
          case 0x60: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case 0x70: A = src >= 32 ? 0 : A >>> src; break;
          case 0x80: A = -A >>> 0; break;
          case 0x90: if (src === 0) return finish(out, 0, v); A = (A % src) >>> 0; break;
          case 0xa0: A = (A ^ src) >>> 0; break;
        }
        break;
      }
      case 5: { // JMP
        const op = code & 0xf0;
        if (op === 0x00) {
          pc += k;
          break;
        }
        const src = code & 8 ? X : k >>> 0;
        const t = op === 0x10 ? A === src : op === 0x20 ? A > src : op === 0x30 ? A >= src : op === 0x40 ? (A & src) !== 0 : false;
        pc += t ? jt : jf;
        break;
      }
      case 6: { // RET
        const rv = code & 0x18;
        return finish(out, rv === 0 ? k >>> 0 : rv === 8 ? X : A, v);
      }
      case 7: // MISC
        if ((code & 0xf8) === 0) X = A;
        else A = X;
        break;
    }
  }
  return finish(out, 0, v);
}

const scratch = new Uint32Array(16);

function finish(out: BpfRun, ret: number, v: TcView): number {
  if (v.truncated && out.unsupported === null) out.unsupported = 'classic BPF read past the captured bytes (snaplen): result unknown';
  out.ret = ret >>> 0;
  return out.ret;
}

function ancillary(n: number, skb: SkBuff, v: TcView, A: number, X: number): number | null {
  switch (n) {
    case 0: return skb.protocol; // ntohs(skb->protocol)
    case 4: return skb.pkt_type;
    case 8: return skb.dev ? skb.dev.ifindex : 0;
    case 20: return skb.mark >>> 0;
    case 24: return 0; // queue_mapping: one queue
    case 28: return 1; // dev->type ARPHRD_ETHER
    case 40: return (A ^ X) >>> 0;
    case 44: return skb.vlan_present ? skb.vlan_tci : 0; // skb->vlan_tci (convert_bpf_extensions)
    case 48: return skb.vlan_present ? 1 : 0;
    case 60: return skb.vlan_present ? skb.vlan_proto : 0;
    case 52: { // pay_offset: skb_get_poff needs the flow dissector
      void v;
      return null;
    }
    default: return null; // rxhash, cpu, random, nlattr: not knowable offline
  }
}
