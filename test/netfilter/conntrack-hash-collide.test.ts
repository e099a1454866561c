// The conntrack table compares the whole key (zone, l3, protocol, addresses, ports) inside a bucket,
// as nf_conntrack_find_get -> nf_ct_key_equal does (nf_ct_tuple_equal + nf_ct_zone_equal): two
// tuples that differ in one field only and land in one bucket are two entries. For each field the
// test searches the values of that field alone for two that hash alike (ctHash is deterministic;
// the searches find a pair), then checks each key finds only its own entry. Ports are mixed last and
// almost never collide among themselves (a million port pairs: no two in one bucket), so no case here.
import { describe, expect, it } from 'vitest';
import { CtHashTable, ctHash } from '../../src/kernel/netfilter/nf_conntrack_hash.js';
import { invertTuple, type NfConn, type Tuple } from '../../src/kernel/netfilter/nf_conntrack.js';

const BASE: Tuple = { l3: 2, proto: 6, src: 0x0a000002, dst: 0x0a000001, sport: 41000, dport: 80 };
const conn = (t: Tuple, zone: number, id: number): NfConn => ({ tuple: [t, invertTuple(t)], status: 0, mark: 0, zone, timeout: 0, tcpState: 0, seen: [] as unknown as NfConn['seen'], id });

/** two values of one field giving the same bucket */
function collide(make: (v: number) => [Tuple, number], limit: number): [number, number] {
  const seen = new Map<number, number>();
  for (let v = 0; v < limit; v++) {
    const [t, z] = make(v);
    const h = ctHash(t, z);
    const o = seen.get(h);
    if (o !== undefined) return [o, v];
    seen.set(h, v);
  }
  throw new Error('no collision found');
}

describe('CtHashTable: one bucket, keys differing in one field', () => {
  const cases: [string, (v: number) => [Tuple, number]][] = [
    ['zone', (v) => [BASE, v]],
    ['source address', (v) => [{ ...BASE, src: (0x0a000000 + v) >>> 0 }, 0]],
    ['destination address', (v) => [{ ...BASE, dst: (0xc0000000 + v) >>> 0 }, 0]],
  ];
  for (const [what, make] of cases) {
    it(`${what}: each key finds only its own entry, a deleted one is gone`, () => {
      const [x, y] = collide(make, 400_000);
      const [ta, za] = make(x), [tb, zb] = make(y);
      expect(ctHash(ta, za)).toBe(ctHash(tb, zb));
      const h = new CtHashTable();
      h.set(conn(ta, za, 1), 0);
      expect(h.get(tb, zb)).toBeUndefined();
      h.set(conn(tb, zb, 2), 0);
      expect([h.get(ta, za)?.ct.id, h.get(tb, zb)?.ct.id]).toEqual([1, 2]);
      expect(h.delete(ta, za)).toBe(true);
      expect([h.get(ta, za), h.get(tb, zb)?.ct.id]).toEqual([undefined, 2]);
    });
  }
});
