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
  for (const v of ['queue']) {
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
});
