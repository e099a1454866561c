// Conntrack helpers and expectations (net/netfilter/nf_conntrack_helper.c, nf_conntrack_expect.c,
// nf_conntrack_tftp.c, nf_conntrack_ftp.c). A helper is assigned to a new connection from the
// template `-j CT --helper NAME` attached in the raw table (xt_ct_target; init_conntrack ->
// __nf_ct_try_assign_helper), and nf_confirm calls its help() on every packet of the connection
// (but IP_CT_RELATED_REPLY ones) before __nf_conntrack_confirm. tftp_help (an RRQ/WRQ) and the FTP
// helper (nf_conntrack_ftp.ts: PORT/EPRT/227/229) are modelled: they create an expectation, whose
// first packet opens a connection with IPS_EXPECTED (ct state related). The other helpers' parsers
// are not: the packets they would parse are reported unsupported.

import type { Pkt } from './pkt.js';
import type { NfConn, Tuple } from './nf_conntrack.js';
import { IP_CT_RELATED_REPLY, IPS_CONFIRMED, IPS_DST_NAT, IPS_SRC_NAT, showTuple } from './nf_conntrack.js';
import { ftpHelp, type HelpVerdict } from './nf_conntrack_ftp.js';

/** struct nf_conntrack_expect, with the mask TFTP uses: any source port, the rest exact */
export interface NfExpect {
  tuple: Tuple;
  /** false: the source port is wildcarded (nf_ct_expect_init with src port NULL) */
  sportExact: boolean;
  master: NfConn;
  zone: number;
  /** expiry in capture seconds (the helper's expect_policy timeout) */
  timeout: number;
  /** what the model cannot reproduce about the connection this expectation opens (unsupported) */
  note?: string;
}

/** tftp: .max_expected = 1, .timeout = 5 * 60 (nf_conntrack_tftp_init) */
const TFTP_EXPECT_TIMEOUT = 300;
/** TFTP_OPCODE_READ / TFTP_OPCODE_WRITE (include/linux/netfilter/nf_conntrack_tftp.h) */
const TFTP_OPCODE_READ = 1, TFTP_OPCODE_WRITE = 2;

export class NfExpectTable {
  private list: NfExpect[] = [];

  get size(): number {
    return this.list.length;
  }

  /**
   * nf_ct_find_expectation: the expectation a new connection's tuple matches (removed: none of
   * the modelled helpers sets NF_CT_EXPECT_PERMANENT). A master not yet confirmed is skipped ("if
   * master ct never got confirmed...").
   */
  find(t: Tuple, zone: number, now: number): NfExpect | undefined {
    if (this.list.length === 0) return undefined;
    for (let i = 0; i < this.list.length; i++) {
      const e = this.list[i]!;
      if (e.timeout <= now || e.master.dying) {
        this.list.splice(i--, 1);
        continue;
      }
      const x = e.tuple;
      if (e.zone !== zone || x.l3 !== t.l3 || x.proto !== t.proto || x.src !== t.src || x.dst !== t.dst || x.dport !== t.dport || (e.sportExact && x.sport !== t.sport)) continue;
      if (!(e.master.status & IPS_CONFIRMED)) continue;
      this.list.splice(i, 1);
      return e;
    }
    return undefined;
  }

  /**
   * nf_ct_expect_related: an identical expectation of the same master (expect_matches) is replaced;
   * past the helper's max_expected the master's oldest one is evicted (evict_oldest_expect); false
   * when another master's expectation clashes (-EBUSY: the helper drops the packet).
   */
  add(e: NfExpect, maxExpected: number, now: number): boolean {
    // expired ones are unlinked on the way (nf_ct_exp_is_expired in __nf_ct_expect_check)
    if (this.list.some((o) => o.timeout <= now || o.master.dying)) this.list = this.list.filter((o) => o.timeout > now && !o.master.dying);
    // expect_clash: another master's expectation for the same tuple under the intersection of both
    // masks (the source port compared only when both keep it) -> -EBUSY
    if (this.list.some((o) => o.master !== e.master && o.zone === e.zone && sameTuple(o.tuple, e.tuple, o.sportExact && e.sportExact))) return false;
    this.list = this.list.filter((o) => !(o.master === e.master && o.zone === e.zone && sameTuple(o.tuple, e.tuple) && o.sportExact === e.sportExact));
    const mine = this.list.filter((o) => o.master === e.master);
    if (mine.length >= maxExpected) this.list.splice(this.list.indexOf(mine[0]!), 1);
    this.list.push(e);
    return true;
  }

  /** nf_ct_remove_expectations: the master is gone */
  dropMaster(ct: NfConn): void {
    if (this.list.length) this.list = this.list.filter((o) => o.master !== ct);
  }
}

function sameTuple(a: Tuple, b: Tuple, sport = true): boolean {
  return a.l3 === b.l3 && a.proto === b.proto && a.src === b.src && a.dst === b.dst && (!sport || a.sport === b.sport) && a.dport === b.dport;
}

/** the helper's family name: tftp, tftp-1 ... (ports= module parameter) -> tftp */
function helperKind(name: string): string {
  return name.replace(/-\d+$/, '');
}

/**
 * nf_confirm's helper call (nf_conntrack_proto.c): helper->help(skb, protoff, ct, ctinfo) for a
 * connection with a helper, skipped for IP_CT_RELATED_REPLY. A verdict other than NF_ACCEPT is
 * nf_confirm's (the packet is dropped).
 */
export function nfCtHelp(p: Pkt, ct: NfConn, ctinfo: number, expects: NfExpectTable): HelpVerdict {
  const name = ct.helper;
  if (!name || ctinfo === IP_CT_RELATED_REPLY || p.th < 0) return NONE;
  const kind = helperKind(name);
  const l4 = ct.tuple[0].proto;
  if (kind === 'tftp' && l4 === 17) return tftpHelp(p, ct, expects);
  if (kind === 'ftp' && l4 === 6) return ftpHelp(p, ct, ctinfo, expects);
  // the payload the other helpers parse: not modelled
  const off = l4 === 6 ? p.th + ((p.d[p.th + 12]! >> 4) << 2) : l4 === 17 ? p.th + 8 : -1;
  if (off < 0 || off >= p.end) return NONE;
  (p.unsupported ??= []).push(`conntrack helper ${name}: its payload parsing (expectations, rewrites) is not modelled`);
  return { what: `helper ${name}: not modelled (unsupported)`, drop: false };
}

const NONE: HelpVerdict = { what: '', drop: false };

/** tftp_help (nf_conntrack_tftp.c) */
function tftpHelp(p: Pkt, ct: NfConn, expects: NfExpectTable): HelpVerdict {
  const o = p.th + 8;
  if (o + 2 > p.end) return NONE;
  const opcode = (p.d[o]! << 8) | p.d[o + 1]!;
  if (opcode !== TFTP_OPCODE_READ && opcode !== TFTP_OPCODE_WRITE) return NONE;
  if (ct.status & (IPS_SRC_NAT | IPS_DST_NAT)) {
    // nf_nat_tftp: the expectation then follows the master's NAT (nf_nat_follow_master)
    (p.unsupported ??= []).push(`conntrack helper ${ct.helper}: the expectation of a NATed TFTP request (nf_nat_tftp) is not modelled`);
    return { what: `helper ${ct.helper}: NATed request not modelled (unsupported)`, drop: false };
  }
  // the reply comes from the server's address, any source port, to the client's address and port
  const r = ct.tuple[1];
  const tuple: Tuple = { l3: r.l3, proto: 17, src: r.src, dst: r.dst, sport: 0, dport: r.dport };
  const shown = showTuple(tuple).replace(' sport=0', ' sport=any');
  // nf_ct_expect_related failing (another master's expectation clashes): "cannot add expectation", NF_DROP
  if (!expects.add({ tuple, sportExact: false, master: ct, zone: ct.zone, timeout: p.now + TFTP_EXPECT_TIMEOUT }, 1, p.now)) return { what: `tftp_help: expectation ${shown} clashes with another connection's: NF_DROP`, drop: true };
  return { what: `tftp_help: ${opcode === TFTP_OPCODE_READ ? 'RRQ' : 'WRQ'}, expecting ${shown}`, drop: false };
}
