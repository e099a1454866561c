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
import { loadHost } from '../../src/host/load.js';
import { createNet } from '../../src/kernel/net.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { nft_fwd_neigh_xmit } from '../../src/kernel/netfilter/nf_dup_netdev.js';
import { ipFastCsum } from '../../src/packet/checksum.js';

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
    neighXmit: (_skb, dev, nexthop) => sent.push(`neigh ${dev.name} ${typeof nexthop === 'number' ? nexthop.toString(16) : 'v6'}`),
  };
  return { h, sent, nf: createNfHooks(h, ops, loadRuleset(h)) };
}
const udp = (dport: number) => skb4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 5000, dport });

describe('netdev fwd to / dup to (nft_fwd_netdev_eval, nft_dup_netdev_eval)', () => {
  it('fwd to: the packet is sent out the device and the hook ends NF_STOLEN (later chains never run)', () => {
    // fwd is terminal: nft 1.0.6 refuses `fwd to "eth1" accept` (Statement after terminal statement has no effect)
    const { h, sent, nf } = setup(RULES('udp dport 53 fwd to "eth1"'));
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
    for (const stmt of ['udp dport 53 fwd to "eth9"', 'udp dport 53 fwd ip to 192.0.2.2 device "eth9"', 'udp dport 53 fwd to meta mark map { 1 : "eth1" }']) {
      const { h, sent, nf } = setup(RULES(stmt));
      const r = run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, udp(53), h, 'eth0');
      expect(sent).toEqual([]);
      expect(r.unsupported?.join('\n'), stmt).toMatch(/fwd/);
    }
    const ip = parseNftText(RULES('udp dport 53 dup to 192.0.2.2 device "eth1"', 'ip', 'type filter hook prerouting priority 0;'), 'nft.txt');
    expect(ip.tables[0]!.chains[0]!.rules[0]!.exprs.at(-1)).toMatchObject({ k: 'unsupported' });
  });
  it('nft -j: {"fwd":{"dev":..}} / {"dup":{"dev":..}} read as the text form, the neighbour form too', () => {
    const json = (stmt: unknown) => JSON.stringify({ nftables: [
      { table: { family: 'netdev', name: 't', handle: 1 } },
      { chain: { family: 'netdev', table: 't', name: 'c', handle: 1, type: 'filter', hook: 'ingress', prio: 0, policy: 'accept', dev: 'eth0' } },
      { rule: { family: 'netdev', table: 't', chain: 'c', handle: 2, expr: [stmt] } },
    ] });
    const ex = (stmt: unknown) => parseNftJson(json(stmt), 'nft.json').tables[0]!.chains[0]!.rules[0]!.exprs[0];
    expect(ex({ fwd: { dev: 'eth1' } })).toEqual({ k: 'fwd', dev: 'eth1', dup: false });
    expect(ex({ dup: { dev: 'eth1' } })).toEqual({ k: 'fwd', dev: 'eth1', dup: true });
    expect(ex({ fwd: { dev: 'eth1', addr: '192.0.2.2', family: 'ip' } })).toEqual({ k: 'fwd', dev: 'eth1', dup: false, neigh: { family: 4, addr: '192.0.2.2' } });
  });
  it('fwd ip to ADDR device DEV: neigh_xmit to ADDR, NF_STOLEN; TTL 1: NF_DROP, nothing sent; an IPv4 rule for ip6: NFT_BREAK', () => {
    const { h, sent, nf } = setup(RULES('udp dport 53 fwd ip to 192.0.2.2 device "eth1"\n\t\tudp dport 54 fwd ip6 to fd00::2 device "eth1"'));
    const r = run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, udp(53), h, 'eth0');
    expect(sent).toEqual(['neigh eth1 c0000202']);
    expect(r.verdict).toBe('stolen');
    // nft_fwd_neigh_eval: skb->protocol is IPv4, the rule wants IPv6 -> NFT_BREAK: on to the next chain
    const r2 = run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, udp(54), h, 'eth0');
    expect(r2.verdicts.map((v) => `${v.chain} ${v.verdict}`)).toEqual(['c accept', 'later accept']);
    expect(sent).toHaveLength(1);
    const ttl1 = udp(53);
    ttl1.data[14 + 8] = 1;
    const r3 = run(nf, NFPROTO_NETDEV, NF_NETDEV_INGRESS, ttl1, h, 'eth0');
    expect(r3.verdict).toBe('drop');
    expect(sent).toHaveLength(1);
  });
  it('nft_fwd_neigh_xmit: TTL 64 -> 63 with the header checksum updated, Ethernet header for the neighbour, out the device', () => {
    const kh = loadHost(new URL('../../fixtures/kernel/nft-fwd-dup/host', import.meta.url).pathname);
    const net = createNet(kh, { checksums: 'verify' });
    net.summarize = () => '';
    const ctx = new FrameCtx();
    ctx.reset(1);
    const skb = skb4({ src: '10.0.1.2', dst: '10.0.1.1', proto: 'udp', sport: 1000, dport: 4450 });
    skb.protocol = 0x0800;
    nft_fwd_neigh_xmit(net, skb, ctx, kh.byName.get('eth1')!, 0x0a000202);
    const nh = skb.network_header;
    expect(skb.data[nh + 8]).toBe(63);
    expect(ipFastCsum(skb.data, nh, 5)).toBe(0); // ip_fast_csum over the header verifies
    // eth1's own MAC as source, the permanent neighbour 10.0.2.2's as destination (setup.sh)
    expect([...skb.data.subarray(nh - 14, nh - 2)].map((x) => x.toString(16).padStart(2, '0')).join(':')).toBe('02:00:00:00:02:02:02:00:00:00:02:01');
    expect(ctx.toRecord().egress).toEqual(['eth1']);
  });
});
