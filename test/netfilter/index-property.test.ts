// Property: the indexed walk (runs of same-field, same-mask rules looked up by the packet's masked
// value, plus the per-chain candidate sets of classify.ts over header fields and interface names) decides every packet exactly like the plain linear walk of
// nft_do_chain (rules in order, every conjunct evaluated left to right): same verdict, same rule,
// same trace events, same unsupported marking. The reference is the same rule set compiled with
// compileOptions.index = false, i.e. nothing skipped.
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN } from '../../src/kernel/netfilter/hook.js';
import { compileOptions } from '../../src/kernel/netfilter/compile.js';
import type { NfHooks } from '../../src/kernel/netfilter/hook.js';
import type { Host } from '../../src/host/types.js';
import { host, hooks, run, skb4, type Pk } from './helpers.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
}

type Gen = { ri: (n: number) => number; pick: <T>(a: T[]) => T };
function gen(seed: number): Gen {
  const R = rng(seed);
  const ri = (n: number) => Math.floor(R() * n);
  return { ri, pick: (a) => a[ri(a.length)]! };
}

// field atoms of one run kind: the same field under the same mask, values from a small domain so packets hit them
const FIELD: Record<string, (g: Gen) => string> = {
  s24: (g) => `-s 10.1.${g.ri(8)}.0/24`,
  s32: (g) => `-s 10.1.${g.ri(8)}.${g.ri(8)}/32`,
  s30: (g) => `-s 10.1.${g.ri(8)}.${g.ri(2) * 4}/30`,
  d24: (g) => `-d 10.0.${g.ri(4)}.0/24`,
  dport: (g) => `-p tcp -m tcp --dport ${16 + g.ri(16)}`,
  dport8: (g) => { const lo = g.pick([16, 24]); return `-p tcp -m tcp --dport ${lo}:${lo + 7}`; },
  // the input interface: exact names are bounds of the classifier, a wildcard or a negation is not
  iif: (g) => g.pick(['-i eth0', '-i eth1', '-i eth2', '-i eth+', '! -i eth0']),
};
const EXTRA = ['-i eth1', '! -i eth1', '-i eth+', '-p tcp -m tcp --dport 22', '-d 10.0.1.0/24', '! -s 10.1.3.0/24', '! -d 10.0.2.0/24', '-p udp', '-m tcp -p tcp --dport 16:23', '-m mark --mark 0x1'];
// side effects or unsupported before the field: such a rule must not be skipped
const BEFORE = ['-m owner --uid-owner 0', '-m limit --limit 2/sec --limit-burst 1'];
const TARGETS = ['DROP', 'DROP', 'ACCEPT', 'RETURN', 'LOG --log-prefix "x "', 'L', 'MARK --set-mark 0x1'];
const BREAKERS = ['-m mark --mark 0x7 -j ACCEPT', '! -s 10.1.3.0/24 -j LOG', '-p udp -j DROP', '-s 10.1.2.0/23 -j LOG', '-m owner --uid-owner 0 -j DROP'];

const field = (kind: string, g: Gen): string => FIELD[kind]!(g);

function rule(chain: string, kind: string, g: Gen): string {
  const parts = [`-A ${chain}`];
  if (g.ri(12) === 0) parts.push(g.pick(BEFORE));
  parts.push(field(kind, g));
  if (g.ri(3) === 0) {
    // iptables refuses a second -s/-d/-p/--dport in one rule ("multiple -s flags not allowed")
    const x = g.pick(EXTRA);
    const flags = (t: string) => t.split(' ').filter((w) => ['-s', '-d', '-p', '--dport', '-i'].includes(w));
    if (!flags(x).some((f) => flags(parts.join(' ')).includes(f))) parts.push(x);
  }
  if (g.ri(10) === 0) parts.push('-m owner --uid-owner 0');
  const t = g.pick(TARGETS);
  parts.push(`-j ${chain === 'L' && t === 'L' ? 'DROP' : t}`);
  return parts.join(' ');
}

function chainRules(chain: string, g: Gen): string[] {
  const out: string[] = [];
  const segs = 2 + g.ri(5);
  for (let s = 0; s < segs; s++) {
    const kind = g.pick(Object.keys(FIELD));
    const len = g.ri(3) === 0 ? 1 + g.ri(7) : 8 + g.ri(30);
    for (let k = 0; k < len; k++) {
      // same-field rules with a different mask now and then (they end the run)
      out.push(rule(chain, g.ri(25) === 0 ? g.pick(Object.keys(FIELD)) : kind, g));
    }
    if (g.ri(2) === 0) out.push(`-A ${chain} ${g.pick(BREAKERS)}`);
  }
  return out;
}

function ruleset(g: Gen): string {
  return ['*mangle', ':INPUT ACCEPT [0:0]', 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':L - [0:0]',
    ...chainRules('INPUT', g), ...chainRules('L', g), 'COMMIT', ''].join('\n');
}

// nft: prefixes as ranges and as `& mask ==` (one run when the masks agree), statements before the match
const NFIELD: Record<string, (g: Gen) => string> = {
  s24: (g) => g.ri(2) ? `ip saddr 10.1.${g.ri(8)}.0/24` : `ip saddr & 255.255.255.0 == 10.1.${g.ri(8)}.0`,
  s32: (g) => `ip saddr 10.1.${g.ri(8)}.${g.ri(8)}`,
  d24: (g) => `ip daddr 10.0.${g.ri(4)}.0/24`,
  dport8: (g) => { const lo = g.pick([16, 24]); return `tcp dport ${lo}-${lo + 7}`; },
};
const NBEFORE = ['log', 'meta cpu 1', 'limit rate 2/second burst 1 packets', 'counter', 'meta l4proto tcp', 'meta mark set 0x1'];
const NEXTRA = ['tcp dport 22', 'ip daddr 10.0.1.0/24', 'ip saddr != 10.1.3.0/24', 'meta mark 0x1', 'meta cpu 2'];
const NVERDICT = ['drop', 'drop', 'accept', 'return', 'jump L', 'counter', 'log', 'meta mark set 0x1'];
const NBREAK = ['meta mark 0x7 accept', 'ip saddr != 10.1.3.0/24 log', 'meta l4proto udp drop'];

function nftChain(chain: string, g: Gen): string[] {
  const out: string[] = [];
  const segs = 2 + g.ri(5);
  for (let s = 0; s < segs; s++) {
    const kind = g.pick(Object.keys(NFIELD));
    const len = g.ri(3) === 0 ? 1 + g.ri(7) : 8 + g.ri(30);
    for (let k = 0; k < len; k++) {
      const parts: string[] = [];
      if (g.ri(12) === 0) parts.push(g.pick(NBEFORE));
      parts.push(NFIELD[g.ri(25) === 0 ? g.pick(Object.keys(NFIELD)) : kind]!(g));
      if (g.ri(3) === 0) parts.push(g.pick(NEXTRA));
      const v = g.pick(NVERDICT);
      parts.push(chain === 'L' && v === 'jump L' ? 'drop' : v);
      out.push(`\t\t${parts.join(' ')}`);
    }
    if (g.ri(2) === 0) out.push(`\t\t${g.pick(NBREAK)}`);
  }
  return out;
}

function nftRuleset(g: Gen): string {
  return ['table ip f {', '\tchain L {', ...nftChain('L', g), '\t}', '\tchain input {', '\t\ttype filter hook input priority filter; policy accept;', ...nftChain('input', g), '\t}', '}', ''].join('\n');
}

function packet(g: Gen, t: number): Pk {
  return { src: `10.1.${g.ri(9)}.${g.ri(9)}`, dst: `10.0.${g.ri(5)}.${g.ri(3)}`, proto: g.pick(['tcp', 'tcp', 'udp']), dport: 14 + g.ri(20), t };
}

function build(text: string, index: boolean, nft = false): { h: Host; nf: NfHooks } {
  compileOptions.index = index;
  try {
    const h = host(nft ? { nft: text } : { iptables: text });
    return { h, nf: hooks(h) };
  } finally {
    compileOptions.index = true;
  }
}

function blocksOf(nf: NfHooks, what: 'blocks' | 'cls' = 'blocks'): number {
  const tc = (nf as unknown as { tableChains: Map<unknown, { blocks: unknown[]; cls: unknown }[]> }).tableChains;
  let n = 0;
  for (const chains of tc.values()) for (const c of chains) n += what === 'blocks' ? c.blocks.length : c.cls ? 1 : 0;
  return n;
}

describe('index vs linear: random chains, random packets', () => {
  it.each([['iptables-save', false], ['nft', true]] as const)('%s: same verdict, rule, trace and unsupported marking for every packet', (_n, nft) => {
    let blocks = 0, classified = 0, drops = 0, unsup = 0, packets = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const g = gen(seed * 7919);
      const text = nft ? nftRuleset(g) : ruleset(g);
      const a = build(text, true, nft), b = build(text, false, nft);
      expect(blocksOf(b.nf) + blocksOf(b.nf, 'cls')).toBe(0);
      blocks += blocksOf(a.nf);
      classified += blocksOf(a.nf, 'cls');
      for (let i = 0; i < 150; i++) {
        const pk = packet(g, 1_700_000_000 + i * 0.3);
        const iif = g.pick(['eth0', 'eth0', 'eth1']);
        const ra = run(a.nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4(pk), a.h, iif);
        const rb = run(b.nf, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb4(pk), b.h, iif);
        expect(JSON.stringify(ra), `seed ${seed} packet ${i} ${JSON.stringify(pk)}`).toBe(JSON.stringify(rb));
        packets++;
        if (ra.verdict === 'drop') drops++;
        if ((ra as { unsupported?: unknown[] }).unsupported?.length) unsup++;
      }
    }
    // the property is only worth something if the index was used and all outcomes occurred
    expect(blocks).toBeGreaterThan(40);
    expect(classified).toBeGreaterThan(40);
    expect(drops).toBeGreaterThan(packets / 20);
    expect(unsup).toBeGreaterThan(10);
  });
});
