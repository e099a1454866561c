// The expectation table and the helper dispatch on their own (src/kernel/netfilter/nf_conntrack_helper.ts),
// expected values from net/netfilter/nf_conntrack_expect.c and nf_conntrack_proto.c nf_confirm:
// - nf_ct_find_expectation: an expectation matches a new tuple under its mask
//   (nf_ct_tuple_mask_cmp: the source port only when the mask keeps it) and its zone; an expired one
//   is never found; a master not confirmed yet has none to give.
// - nf_ct_expect_related -> __nf_ct_expect_check: expired ones are unlinked on the way
//   (nf_ct_exp_is_expired); expect_matches (same master, tuple, mask, zone) replaces the old one;
//   expect_clash (another master, same tuple under both masks, same zone) is -EBUSY; past
//   max_expected the master's oldest is evicted (evict_oldest_expect).
// - nf_ct_remove_expectations: a master leaving the table takes its expectations with it.
// - nf_confirm: helper->help() is not called for IP_CT_RELATED_REPLY ("helper->help() do not expect
//   ICMP packets"); the helpers the model does not parse say so (unsupported) when there is payload.
import { describe, expect, it } from 'vitest';
import { NfExpectTable, nfCtHelp, type NfExpect } from '../../src/kernel/netfilter/nf_conntrack_helper.js';
import { IPS_CONFIRMED, IP_CT_ESTABLISHED, IP_CT_RELATED_REPLY, type NfConn, type Tuple } from '../../src/kernel/netfilter/nf_conntrack.js';
import { Pkt } from '../../src/kernel/netfilter/pkt.js';
import { skb4 } from './helpers.js';

const master = (status = IPS_CONFIRMED, extra: Partial<NfConn> = {}): NfConn => ({ tuple: [tup(0x0a000002, 0x0a000001, 41000, 21), tup(0x0a000001, 0x0a000002, 21, 41000)], status, mark: 0, zone: 0, timeout: 1e9, tcpState: 3, seen: [{ flags: 0 } as never, { flags: 0 } as never], id: 1, ...extra });
function tup(src: number, dst: number, sport: number, dport: number, proto = 6): Tuple {
  return { l3: 2, proto, src, dst, sport, dport };
}
const DATA = tup(0x0a000001, 0x0a000002, 0, 40001);
const exp = (m: NfConn, over: Partial<NfExpect> = {}): NfExpect => ({ tuple: DATA, sportExact: false, master: m, zone: 0, timeout: 1300, ...over });

describe('nf_ct_find_expectation', () => {
  it('a wildcard source port matches any; an exact one only its own port', () => {
    const t = new NfExpectTable();
    const m = master();
    t.add(exp(m), 2, 1000);
    expect(t.find(tup(0x0a000001, 0x0a000002, 20, 40001), 0, 1000)?.master).toBe(m);
    t.add(exp(m, { tuple: { ...DATA, sport: 20 }, sportExact: true }), 2, 1000);
    expect(t.find(tup(0x0a000001, 0x0a000002, 2020, 40001), 0, 1000)).toBeUndefined();
    expect(t.find(tup(0x0a000001, 0x0a000002, 20, 40001), 0, 1000)?.sportExact).toBe(true);
    expect(t.size).toBe(0); // each was unlinked when found (no NF_CT_EXPECT_PERMANENT)
  });

  it('another zone, address, protocol or port finds nothing; an expired one is never found and is unlinked', () => {
    const t = new NfExpectTable();
    const m = master();
    t.add(exp(m), 1, 1000);
    expect(t.find(tup(0x0a000001, 0x0a000002, 20, 40001), 1, 1000)).toBeUndefined();
    expect(t.find(tup(0x0a000003, 0x0a000002, 20, 40001), 0, 1000)).toBeUndefined();
    expect(t.find(tup(0x0a000001, 0x0a000002, 20, 40001, 17), 0, 1000)).toBeUndefined();
    expect(t.find(tup(0x0a000001, 0x0a000002, 20, 40002), 0, 1000)).toBeUndefined();
    expect(t.size).toBe(1);
    // timeout 1300: at 1300 it has expired (the timer fired)
    expect(t.find(tup(0x0a000001, 0x0a000002, 20, 40001), 0, 1300)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('an expired expectation ahead of a live one is unlinked and the live one behind it still found; another destination finds nothing', () => {
    const t = new NfExpectTable();
    const a = master(), b = master();
    t.add(exp(a, { timeout: 1100 }), 1, 1000);
    t.add(exp(b, { tuple: { ...DATA, dport: 40002 } }), 1, 1000);
    expect(t.find(tup(0x0a000001, 0x0a000002, 20, 40002), 0, 1200)?.master).toBe(b);
    expect(t.size).toBe(0);
    t.add(exp(b, { tuple: { ...DATA, dport: 40002 } }), 1, 1200);
    expect(t.find(tup(0x0a000001, 0x0a000003, 20, 40002), 0, 1200)).toBeUndefined();
    expect(t.size).toBe(1);
  });

  it('a master not confirmed yet gives nothing, and keeps its expectation', () => {
    const t = new NfExpectTable();
    t.add(exp(master(0)), 1, 1000);
    expect(t.find(tup(0x0a000001, 0x0a000002, 20, 40001), 0, 1000)).toBeUndefined();
    expect(t.size).toBe(1);
  });
});

describe('nf_ct_expect_related (__nf_ct_expect_check)', () => {
  it('another master\'s expectation of the same tuple in the same zone clashes (-EBUSY); in another zone it does not', () => {
    const t = new NfExpectTable();
    const a = master(), b = master();
    expect(t.add(exp(a), 1, 1000)).toBe(true);
    expect(t.add(exp(b), 1, 1000)).toBe(false);
    expect(t.add(exp(b, { zone: 7 }), 1, 1000)).toBe(true);
    expect(t.size).toBe(2);
  });

  it('an expired expectation, or one whose master is dying, is unlinked first: no clash', () => {
    const t = new NfExpectTable();
    const a = master(), b = master();
    t.add(exp(a, { timeout: 1100 }), 1, 1000);
    expect(t.add(exp(b), 1, 1100)).toBe(true);
    expect(t.size).toBe(1);
    const c = master();
    b.dying = true;
    expect(t.add(exp(c), 1, 1100)).toBe(true);
    expect(t.find(tup(0x0a000001, 0x0a000002, 9, 40001), 0, 1100)?.master).toBe(c);
  });

  it('add() unlinks only the expired ones: a live expectation of another master stays, an expired one of the same tuple no longer clashes', () => {
    const t = new NfExpectTable();
    const a = master(), b = master(), c = master();
    t.add(exp(a, { timeout: 1100 }), 1, 1000);
    t.add(exp(b, { tuple: { ...DATA, dport: 7 } }), 1, 1000);
    expect(t.add(exp(c), 1, 1200)).toBe(true);
    expect(t.size).toBe(2);
    expect(t.find(tup(0x0a000001, 0x0a000002, 9, 7), 0, 1200)?.master).toBe(b);
    expect(t.find(tup(0x0a000001, 0x0a000002, 9, 40001), 0, 1200)?.master).toBe(c);
  });

  it('the same master\'s identical expectation is replaced, not counted twice; past max_expected its oldest is evicted', () => {
    const t = new NfExpectTable();
    const a = master();
    t.add(exp(a, { timeout: 1300 }), 2, 1000);
    t.add(exp(a, { timeout: 1400 }), 2, 1000);
    expect(t.size).toBe(1);
    // the replacement holds (timeout 1400): found at 1350
    expect(t.find(tup(0x0a000001, 0x0a000002, 9, 40001), 0, 1350)?.timeout).toBe(1400);
    t.add(exp(a, { tuple: { ...DATA, dport: 1 } }), 2, 1000);
    t.add(exp(a, { tuple: { ...DATA, dport: 2 } }), 2, 1000);
    t.add(exp(a, { tuple: { ...DATA, dport: 3 } }), 2, 1000);
    expect(t.size).toBe(2);
    expect(t.find(tup(0x0a000001, 0x0a000002, 9, 1), 0, 1000)).toBeUndefined();
    expect(t.find(tup(0x0a000001, 0x0a000002, 9, 2), 0, 1000)).toBeDefined();
    expect(t.find(tup(0x0a000001, 0x0a000002, 9, 3), 0, 1000)).toBeDefined();
  });

  it('expect_clash compares under the intersection of the masks: a wildcard source port clashes with an exact one, two different exact ports do not', () => {
    const t = new NfExpectTable();
    const a = master(), b = master(), c = master();
    t.add(exp(a), 2, 1000);
    expect(t.add(exp(b, { tuple: { ...DATA, sport: 20 }, sportExact: true }), 2, 1000)).toBe(false);
    // the same master with another mask: expect_matches fails (nf_ct_tuple_mask_equal), no clash (same master): both kept
    expect(t.add(exp(a, { tuple: { ...DATA, sport: 20 }, sportExact: true }), 2, 1000)).toBe(true);
    expect(t.size).toBe(2);
    const u = new NfExpectTable();
    u.add(exp(b, { tuple: { ...DATA, sport: 20 }, sportExact: true }), 2, 1000);
    expect(u.add(exp(c, { tuple: { ...DATA, sport: 21 }, sportExact: true }), 2, 1000)).toBe(true);
    expect(u.add(exp(a, { tuple: { ...DATA, sport: 21 }, sportExact: true }), 2, 1000)).toBe(false);
  });

  it('nf_ct_remove_expectations: dropping a master takes only its own', () => {
    const t = new NfExpectTable();
    const a = master(), b = master();
    t.add(exp(a), 1, 1000);
    t.add(exp(b, { tuple: { ...DATA, dport: 5 } }), 1, 1000);
    t.dropMaster(a);
    expect(t.size).toBe(1);
    expect(t.find(tup(0x0a000001, 0x0a000002, 9, 5), 0, 1000)?.master).toBe(b);
  });
});

describe('nf_confirm -> helper->help()', () => {
  const pkt = (proto: 'tcp' | 'udp', payload: number) => {
    const p = new Pkt();
    p.set(skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto, sport: 41000, dport: 6667, flags: 'PA', payload }), 2, 1, null, null);
    return p;
  };
  it('a helper the model does not parse: its payload is reported unsupported, a segment without payload is not', () => {
    const irc = master(IPS_CONFIRMED, { helper: 'irc' });
    const p = pkt('tcp', 10);
    expect(nfCtHelp(p, irc, IP_CT_ESTABLISHED, new NfExpectTable())).toEqual({ what: 'helper irc: not modelled (unsupported)', drop: false });
    expect(p.unsupported).toEqual(['conntrack helper irc: its payload parsing (expectations, rewrites) is not modelled']);
    const empty = pkt('tcp', 0);
    expect(nfCtHelp(empty, irc, IP_CT_ESTABLISHED, new NfExpectTable())).toEqual({ what: '', drop: false });
    expect(empty.unsupported).toBeNull();
    // UDP: the payload after the 8-byte header (sip, snmp, ...)
    const sip = master(IPS_CONFIRMED, { helper: 'sip', tuple: [tup(1, 2, 5060, 5060, 17), tup(2, 1, 5060, 5060, 17)] });
    expect(nfCtHelp(pkt('udp', 4), sip, IP_CT_ESTABLISHED, new NfExpectTable()).what).toBe('helper sip: not modelled (unsupported)');
    expect(nfCtHelp(pkt('udp', 0), sip, IP_CT_ESTABLISHED, new NfExpectTable()).what).toBe('');
    // a tftp helper on a TCP connection is not tftp_help (registered for UDP only)
    const tcpTftp = master(IPS_CONFIRMED, { helper: 'tftp-1069' });
    expect(nfCtHelp(pkt('tcp', 4), tcpTftp, IP_CT_ESTABLISHED, new NfExpectTable()).what).toBe('helper tftp-1069: not modelled (unsupported)');
  });

  it('IP_CT_RELATED_REPLY (an ICMP error about the connection) and a connection without a helper skip help()', () => {
    const irc = master(IPS_CONFIRMED, { helper: 'irc' });
    const p = pkt('tcp', 10);
    expect(nfCtHelp(p, irc, IP_CT_RELATED_REPLY, new NfExpectTable()).what).toBe('');
    expect(nfCtHelp(p, master(), IP_CT_ESTABLISHED, new NfExpectTable()).what).toBe('');
    expect(p.unsupported).toBeNull();
  });
});
