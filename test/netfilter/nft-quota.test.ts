// nft_quota at its boundary, as this machine's kernel (6.18) counts it: recorded in a private network
// namespace (session 7) with
//   chain o { type filter hook output priority 0; policy accept;
//             icmp type echo-request quota over 168 bytes counter drop; icmp type echo-request counter }
// and `ping -c 3 -s 56 127.0.0.1` (84-byte IPv4 packets at LOCAL_OUT): 2 of 3 answered, the quota
// rule's counter `packets 1 bytes 84`, the next rule's `packets 2 bytes 168`. The second packet
// brings the consumed bytes to exactly 168 and is not over the quota; the third is.
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_OUT } from '../../src/kernel/netfilter/hook.js';
import { host, hooks, run, skb4 } from './helpers.js';

const nft = (q: string) => `table ip t {\n\tchain o {\n\t\ttype filter hook output priority 0; policy accept;\n\t\ticmp type echo-request ${q} counter drop\n\t\ticmp type echo-request counter\n\t}\n}\n`;

function verdicts(q: string, n: number): string[] {
  const h = host({ nft: nft(q) });
  const nf = hooks(h);
  const out: string[] = [];
  // 56 data bytes after the 8-byte ICMP header: 84 bytes from the IP header
  for (let i = 0; i < n; i++) out.push(run(nf, NFPROTO_IPV4, NF_INET_LOCAL_OUT, skb4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 'icmp', type: 8, payload: 56 }), h, undefined, 'lo').verdict);
  return out;
}

describe('nft quota', () => {
  it('`quota over 168 bytes` with 84-byte packets: the third packet is over (the kernel recording above)', () => {
    expect(verdicts('quota over 168 bytes', 3)).toEqual(['accept', 'accept', 'drop']);
  });
  // nft_quota_do_eval breaks the rule when overquota ^ NFT_QUOTA_F_INV (`over`): without `over` the same
  // boundary, read the other way
  it('`quota 168 bytes` (until): the rule matches while the consumed bytes stay within 168, so the first two are dropped', () => {
    expect(verdicts('quota 168 bytes', 3)).toEqual(['drop', 'drop', 'accept']);
  });
});
