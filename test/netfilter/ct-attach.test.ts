// nf_ct_attach (net/netfilter/core.c) -> nf_conntrack_attach (nf_conntrack_core.c): the packet the
// kernel builds about another one takes that packet's entry, in the other direction:
//   if (CTINFO2DIR(ctinfo) == IP_CT_DIR_ORIGINAL) ctinfo = IP_CT_RELATED_REPLY; else ctinfo = IP_CT_RELATED;
// CTINFO2DIR(ctinfo) is ctinfo >= IP_CT_IS_REPLY (3). A packet without an entry passes nothing on.
import { describe, expect, it } from 'vitest';
import { nf_ct_attach } from '../../src/kernel/netfilter/nf_ct_attach.js';
import { SkBuff } from '../../src/kernel/skbuff.js';

describe('nf_ct_attach', () => {
  const ct = { id: 1 } as unknown as NonNullable<SkBuff['ct']>;
  const pair = (ctinfo: number, withCt = true) => {
    const skb = new SkBuff(new Uint8Array(64), 64);
    skb.ct = withCt ? ct : null;
    skb.ctinfo = ctinfo;
    const nskb = new SkBuff(new Uint8Array(64), 64);
    nf_ct_attach(nskb, skb);
    return [nskb.ct === ct ? 'ct' : nskb.ct, nskb.ctinfo];
  };
  it('an original-direction packet (ESTABLISHED 0, RELATED 1, NEW 2) gives RELATED_REPLY (4)', () => {
    expect([0, 1, 2].map((i) => pair(i))).toEqual([['ct', 4], ['ct', 4], ['ct', 4]]);
  });
  it('a reply-direction packet (ESTABLISHED_REPLY 3, RELATED_REPLY 4) gives RELATED (1)', () => {
    expect([3, 4].map((i) => pair(i))).toEqual([['ct', 1], ['ct', 1]]);
  });
  it('no entry (or an untracked packet): nothing attached', () => {
    const fresh = new SkBuff(new Uint8Array(64), 64);
    expect(pair(7, false)).toEqual([fresh.ct, fresh.ctinfo]);
    expect(pair(0, false)).toEqual([fresh.ct, fresh.ctinfo]);
  });
});
