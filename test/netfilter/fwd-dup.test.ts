// netdev `fwd to DEV` and `dup to DEV`. net/netfilter/nft_fwd_netdev.c nft_fwd_netdev_eval calls
// nf_fwd_netdev_egress (net/netfilter/nf_dup_netdev.c: the packet goes to dev_queue_xmit on DEV)
// and sets the verdict NF_STOLEN, so nothing after it in the rule or the hook runs; nft_dup_netdev.c
// nft_dup_netdev_eval calls nf_dup_netdev_egress (a skb_clone goes out DEV) and leaves the verdict
// alone, so the rule and the chain go on. The end-to-end behaviour (target egress chain, fates,
// copies) is recorded in fixtures/kernel/nft-fwd-dup; these pin the evaluator's contract.
import { describe, expect, it } from 'vitest';
import { createNfHooks, loadRuleset } from '../../src/kernel/netfilter/index.js';
import { NFPROTO_NETDEV, NF_NETDEV_INGRESS, type NfKernelOps } from '../../src/kernel/netfilter/hook.js';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';
import { parseNftJson } from '../../src/kernel/netfilter/nft-json.js';
import { host, run, skb4 } from './helpers.js';

const RULES = (stmts: string, family = 'netdev', hook = 'type filter hook ingress device "eth0" priority 0;') => `table ${family} t {
	chain c {
		${hook} policy accept;
		${stmts}
	}
	chain later {
		${hook.replace('priority 0', 'priority 10')} policy accept;
		udp dport 53 counter drop
	}
}
`;

function setup(nft: string) {
  const h = host({ nft });
  const sent: string[] = [];
  const ops: NfKernelOps = {
    sendReject: () => sent.push('reject'),
    netdevXmit: (_skb, dev, dup, fromIngress) => sent.push(`${dup ? 'dup' : 'fwd'} ${dev.name}${fromIngress ? ' from ingress' : ''}`),
  };
  return { h, sent, nf: createNfHooks(h, ops, loadRuleset(h)) };
}
const udp = (dport: number) => skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 5000, dport });

describe('netdev fwd to / dup to (nft_fwd_netdev_eval, nft_dup_netdev_eval)', () => {
  it('fwd to: the packet is sent out the device and the hook ends NF_STOLEN (the rule\'s accept and later chains never run)', () => {
    const { h, sent, nf } = setup(RULES('udp dport 53 fwd to "eth1" accept'));
    const r = run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, udp(53), h, 'eth0');
    expect(sent).toEqual(['fwd eth1 from ingress']);
    expect(r.verdict).toBe('stolen');
    expect(r.verdicts.map((v) => `${v.chain} ${v.verdict}`)).toEqual(['c stolen']);
  });
  it('dup to: a clone leaves the device, the chain and the next chain go on (later chain drops :53)', () => {
    const { h, sent, nf } = setup(RULES('udp dport 53 dup to eth1\n\t\tudp dport 53 counter'));
    const r = run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, udp(53), h, 'eth0');
    expect(sent).toEqual(['dup eth1 from ingress']);
    expect(r.verdict).toBe('drop');
    expect(r.verdicts.map((v) => `${v.chain} ${v.verdict}`)).toEqual(['c accept', 'later drop']);
  });
  it('dup then fwd in one rule: a clone to the first device, the packet to the second', () => {
    const { h, sent, nf } = setup(RULES('udp dport 54 dup to "eth1" fwd to "lo"'));
    const r = run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, udp(54), h, 'eth0');
    expect(sent).toEqual(['dup eth1 from ingress', 'fwd lo from ingress']);
    expect(r.verdict).toBe('stolen');
  });
  it('a packet the rule does not match is not sent anywhere', () => {
    const { h, sent, nf } = setup(RULES('udp dport 53 fwd to "eth1"'));
    expect(run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, udp(80), h, 'eth0').verdict).toBe('accept');
    expect(sent).toEqual([]);
  });
  it('a device the snapshot lacks, the neighbour form and ip-family dup are reported unsupported, never sent', () => {
    for (const stmt of ['udp dport 53 fwd to "eth9"', 'udp dport 53 fwd ip to 192.0.2.2 device "eth1"']) {
      const { h, sent, nf } = setup(RULES(stmt));
      const r = run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, udp(53), h, 'eth0');
      expect(sent).toEqual([]);
      expect(r.unsupported?.join('\n'), stmt).toMatch(/fwd/);
    }
    const ip = parseNftText(RULES('udp dport 53 dup to 192.0.2.2 device "eth1"', 'ip', 'type filter hook prerouting priority 0;'), 'nft.txt');
    expect(ip.tables[0]!.chains[0]!.rules[0]!.exprs.at(-1)).toMatchObject({ k: 'unsupported' });
  });
  it('nft -j: {"fwd":{"dev":..}} / {"dup":{"dev":..}} read as the text form; with "addr" unsupported', () => {
    const json = (stmt: unknown) => JSON.stringify({ nftables: [
      { table: { family: 'netdev', name: 't', handle: 1 } },
      { chain: { family: 'netdev', table: 't', name: 'c', handle: 1, type: 'filter', hook: 'ingress', prio: 0, policy: 'accept', dev: 'eth0' } },
      { rule: { family: 'netdev', table: 't', chain: 'c', handle: 2, expr: [stmt] } },
    ] });
    const ex = (stmt: unknown) => parseNftJson(json(stmt), 'nft.json').tables[0]!.chains[0]!.rules[0]!.exprs[0];
    expect(ex({ fwd: { dev: 'eth1' } })).toEqual({ k: 'fwd', dev: 'eth1', dup: false });
    expect(ex({ dup: { dev: 'eth1' } })).toEqual({ k: 'fwd', dev: 'eth1', dup: true });
    expect(ex({ fwd: { dev: 'eth1', addr: '192.0.2.2', family: 'ip' } })).toMatchObject({ k: 'unsupported' });
  });
});
