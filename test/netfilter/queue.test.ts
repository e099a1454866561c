// A `queue` verdict with no userspace listener. The kernel (net/netfilter/core.c nf_hook_slow,
// case NF_QUEUE -> net/netfilter/nf_queue.c nf_queue): __nf_queue finds no queue handler or
// listener and returns an error (-ESRCH); without NF_VERDICT_FLAG_QUEUE_BYPASS nf_queue then
// frees the packet with kfree_skb(), i.e. SKB_DROP_REASON_NOT_SPECIFIED, and returns 0 (the hook
// stops: the packet is gone). This machine's kernel lacks nft_queue (`nft add rule ... queue`
// fails with ENOENT), so this is taken from the source, not recorded. The model cannot know
// whether a listener exists, so the frame also says the queue is not modelled.
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN } from '../../src/kernel/netfilter/hook.js';
import { host, hooks, run, skb4 } from './helpers.js';

const RULES = (v: string) => `table inet q {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport 53 ${v}
	}
	chain later {
		type filter hook input priority 10; policy accept;
		udp dport 53 counter accept
	}
}
`;

describe('queue verdict without a listener (nf_queue)', () => {
  // nft_queue.c nft_queue_eval: the queue number (num N, a range with fanout, `to EXPR`) only picks
  // which listener; without NFT_QUEUE_FLAG_BYPASS the verdict is plain NF_QUEUE, so no listener drops
  for (const v of ['queue', 'queue num 1', 'queue num 1-3 fanout', 'queue flags fanout num 1-3', 'queue to 3']) {
    it(`${v}: the packet is freed (kfree_skb: NOT_SPECIFIED), later chains never see it, and the frame says the queue is not modelled`, () => {
      const h = host({ nft: RULES(v) });
      const nf = hooks(h);
      const r = run(nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 5000, dport: 53 }), h, 'eth0');
      expect(r.verdict).toBe('drop');
      expect(r.reason).toBe('NOT_SPECIFIED');
      expect(r.verdicts.map((x) => `${x.chain} ${x.verdict}`)).toEqual(['input queue']);
      expect(r.unsupported?.join('\n')).toMatch(/queue to userspace is not modelled/);
    });
  }
  it('a packet the queue rule does not match goes on through both chains', () => {
    const h = host({ nft: RULES('queue') });
    const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 5000, dport: 54 }), h, 'eth0');
    expect(r.verdict).toBe('accept');
    expect(r.unsupported).toBeUndefined();
  });

  // nft_queue_eval ORs NF_VERDICT_FLAG_QUEUE_BYPASS into the verdict for NFT_QUEUE_FLAG_BYPASS;
  // nf_queue (net/netfilter/nf_queue.c): __nf_queue gives -ESRCH with no listener, and with the
  // bypass flag nf_queue returns 1 instead of kfree_skb(); nf_hook_slow (net/netfilter/core.c),
  // case NF_QUEUE: `if (ret == 1) continue;` -- the next hook entry runs, as after NF_ACCEPT. So the
  // later chain at priority 10 sees the packet and the hook accepts it.
  for (const v of ['queue num 1 bypass', 'queue flags bypass to 1', 'queue flags bypass num 1', 'queue bypass', 'queue num 1-3 bypass,fanout', 'queue flags bypass,fanout num 1-3']) {
    it(`${v}: no listener -> the hook goes on with the next chain (nf_queue returns 1)`, () => {
      const h = host({ nft: RULES(v) });
      const r = run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 5000, dport: 53 }), h, 'eth0');
      expect(r.verdict).toBe('accept');
      expect(r.reason).toBeUndefined();
      expect(r.verdicts.map((x) => `${x.chain} ${x.verdict}`)).toEqual(['input queue', 'later accept']);
      expect(r.events.some((e) => e.fn === 'nf_queue' && /bypass/.test(e.what ?? ''))).toBe(true);
      // a listener would decide instead: still said to be outside the model
      expect(r.unsupported?.join('\n')).toMatch(/queue to userspace is not modelled \(bypass/);
    });
  }

  it('the JSON form reads the bypass flag too ({"queue": {"num": 1, "flags": "bypass"}})', () => {
    const json = (q: unknown) => JSON.stringify({ nftables: [
      { table: { family: 'inet', name: 'q' } },
      { chain: { family: 'inet', table: 'q', name: 'input', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
      { chain: { family: 'inet', table: 'q', name: 'later', type: 'filter', hook: 'input', prio: 10, policy: 'accept' } },
      { rule: { family: 'inet', table: 'q', chain: 'input', expr: [{ match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: 53 } }, { queue: q }] } },
    ] });
    const verdictOf = (q: unknown) => {
      const h = host({});
      h.nftJson = { path: 'nft.json', text: json(q) };
      return run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 5000, dport: 53 }), h, 'eth0');
    };
    expect(verdictOf({ num: 1, flags: 'bypass' }).verdict).toBe('accept');
    // fanout needs a range (nft: "fanout requires a range to be specified")
    expect(verdictOf({ num: { range: [1, 2] }, flags: ['bypass', 'fanout'] }).verdict).toBe('accept');
    expect(verdictOf({ num: 1 })).toMatchObject({ verdict: 'drop', reason: 'NOT_SPECIFIED' });
    expect(verdictOf({ num: { range: [1, 2] }, flags: 'fanout' })).toMatchObject({ verdict: 'drop', reason: 'NOT_SPECIFIED' });
  });
});

describe('iptables -j NFQUEUE: the same verdict as nft queue (xt_NFQUEUE.c nfqueue_tg: NF_QUEUE_NR, bypass flag)', () => {
  const IPT = (t: string) => `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 53 -j NFQUEUE ${t}\n-A INPUT -p udp --dport 53 -j DROP\nCOMMIT\n`;
  const go = (t: string) => {
    const h = host({ iptables: IPT(t) });
    return run(hooks(h), NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 5000, dport: 53 }), h, 'eth0');
  };
  it('--queue-bypass: no listener, the hook goes on after the table (later rules of INPUT do not run), with nft\'s bypass note', () => {
    const r = go('--queue-num 3 --queue-bypass');
    expect(r.verdict).toBe('accept');
    expect(r.unsupported?.join('\n')).toMatch(/queue to userspace is not modelled \(bypass: went on as with no listener\)/);
  });
  it('without --queue-bypass: freed as with no listener (NOT_SPECIFIED), not modelled', () => {
    const r = go('--queue-num 3');
    expect(r).toMatchObject({ verdict: 'drop', reason: 'NOT_SPECIFIED' });
    expect(r.unsupported?.join('\n')).toMatch(/queue to userspace is not modelled \(dropped as with no listener\)/);
  });
});
