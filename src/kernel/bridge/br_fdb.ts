// Bridge forwarding database (net/bridge/br_fdb.c).
// Entries keyed by (MAC, VLAN id). Static/permanent entries come from the snapshot
// (`bridge -j fdb show`); dynamic ones are learnt from traffic by br_fdb_update() and age by
// capture time (hold_time = ageing_time from `ip -d link`), never by wall clock.
// The table is bounded (maxLearned): when full, expired entries are collected first and then
// learning stops, which the caller records (the kernel's own bound is fdb_max_learned, 0 =
// unlimited; a bound here keeps a replay of a huge capture in bounded memory).

import type { Host, NetDevice } from '../../host/types.js';

/** one struct net_bridge_fdb_entry */
export interface FdbEntry {
  mac: number; // 48-bit MAC as a number (exact: < 2^53)
  vid: number;
  /** the port (dst); null for entries of the bridge device itself (local) */
  port: NetDevice | null;
  /** BR_FDB_LOCAL: frames to this MAC are for the host (br_pass_frame_up) */
  local: boolean;
  /** BR_FDB_STATIC: never ages (permanent and static entries) */
  static: boolean;
  /** BR_FDB_STICKY: never moves to another port */
  sticky: boolean;
  /** last time seen, ns since epoch as a float (ms precision is plenty for ageing) */
  updated: number;
  /** next entry with the same MAC and another VLAN */
  next: FdbEntry | null;
  /** timeline text "mac [vlan N] -> port", built on first use, cleared when the entry moves */
  text: string | null;
}

/** 48-bit MAC at data[off..off+6] as a number; zero-allocation */
export function macAt(data: Uint8Array, off: number): number {
  return (data[off] * 0x10000 + data[off + 1] * 0x100 + data[off + 2]) * 0x1000000 +
    (data[off + 3] * 0x10000 + data[off + 4] * 0x100 + data[off + 5]);
}

export function macNum(mac: Uint8Array): number {
  return macAt(mac, 0);
}

const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

/** a MAC held as a number, as text (only for the timeline; frames are formatted from their bytes) */
export function macStr(mac: number): string {
  const hi = Math.floor(mac / 0x1000000), lo = mac - hi * 0x1000000;
  return HEX2[(hi >>> 16) & 255] + ':' + HEX2[(hi >>> 8) & 255] + ':' + HEX2[hi & 255] + ':' +
    HEX2[(lo >>> 16) & 255] + ':' + HEX2[(lo >>> 8) & 255] + ':' + HEX2[lo & 255];
}

/** ns since epoch as one float (ageing only needs ms resolution) */
export function nsOf(sec: number, nsec: number): number {
  return sec * 1e9 + nsec;
}

export class Fdb {
  /** per bridge device name: MAC -> entry chain */
  private readonly tables = new Map<string, Map<number, FdbEntry>>();
  private learned = 0;
  private readonly hold = new Map<string, number>();
  readonly maxLearned: number;
  /** learning refused because the table was full (reported by br_fdb_update's caller) */
  full = false;

  constructor(host: Host, maxLearned = 1 << 20) {
    this.maxLearned = maxLearned;
    // Local entries the kernel always has: the bridge's own address and each port's address
    // (br_fdb_add_local on br_add_if / br_dev init). The snapshot usually lists them too.
    for (const dev of host.devices) {
      if (dev.kind !== 'bridge') continue;
      this.hold.set(dev.name, holdTimeNs(dev));
      if (dev.mac) this.add(dev.name, macNum(dev.mac), 0, null, true, true);
    }
    for (const dev of host.devices) {
      if (!dev.master || !dev.bridgePort || !dev.mac) continue;
      this.add(dev.master, macNum(dev.mac), 0, dev, true, true);
    }
    for (const e of host.fdb) {
      // entries without `master` are the device's own (self) hardware table, not the bridge FDB
      const br = e.master ?? (host.byName.get(e.dev)?.kind === 'bridge' && !e.flags.includes('self') ? e.dev : undefined);
      if (!br) continue;
      // "stale" = has_expired(): the gc removes it before any later frame could use it
      if (e.state === 'stale') continue;
      const dev = host.byName.get(e.dev) ?? null;
      const isBrDev = dev !== null && dev.kind === 'bridge';
      // fdb_to_nud: BR_FDB_LOCAL prints "permanent", BR_FDB_STATIC "static", learned entries nothing
      const permanent = e.state === 'permanent';
      const isStatic = permanent || e.state === 'static';
      this.add(br, macNum(e.mac), e.vlan ?? 0, isBrDev ? null : dev, permanent, isStatic, e.flags.includes('sticky'),
        isStatic ? 0 : NaN);
    }
  }

  private table(br: string): Map<number, FdbEntry> {
    let t = this.tables.get(br);
    if (!t) this.tables.set(br, (t = new Map()));
    return t;
  }

  /** Insert or replace (mac, vid). updated NaN = snapshot dynamic entry: fresh at the first frame that looks at it. */
  add(br: string, mac: number, vid: number, port: NetDevice | null, local: boolean, isStatic: boolean, sticky = false, updated = 0): FdbEntry {
    const t = this.table(br);
    let e = t.get(mac) ?? null;
    for (let x = e; x; x = x.next) {
      if (x.vid === vid) {
        x.port = port; x.local = local; x.static = isStatic; x.sticky = sticky; x.updated = updated; x.text = null;
        return x;
      }
    }
    const n: FdbEntry = { mac, vid, port, local, static: isStatic, sticky, updated, next: e, text: null };
    t.set(mac, n);
    if (!isStatic) this.learned++;
    return n;
  }

  /**
   * br_fdb_find_rcu(br, addr, vid), with has_expired() applied: the kernel's gc (br_fdb_cleanup)
   * removes an entry once updated + hold_time has passed, so an expired dynamic entry is gone.
   */
  find(br: NetDevice, mac: number, vid: number, now: number): FdbEntry | null {
    const t = this.tables.get(br.name);
    if (!t) return null;
    for (let e = t.get(mac) ?? null; e; e = e.next) {
      if (e.vid !== vid) continue;
      if (!e.static) {
        if (Number.isNaN(e.updated)) e.updated = now;
        else if (e.updated + holdTimeNs(br) <= now) { this.remove(br.name, e); return null; }
      }
      return e;
    }
    return null;
  }

  private remove(br: string, e: FdbEntry): void {
    const t = this.tables.get(br)!;
    let head = t.get(e.mac) ?? null;
    if (head === e) {
      if (e.next) t.set(e.mac, e.next); else t.delete(e.mac);
    } else {
      for (let x = head; x; x = x.next) if (x.next === e) { x.next = e.next; break; }
    }
    if (!e.static) this.learned--;
  }

  /**
   * br_fdb_update(br, source, addr, vid, flags): learn or refresh the source address.
   * Returns what happened, for the timeline: 'learned' | 'refreshed' | 'moved' | 'own-address' | 'off' | 'full'.
   */
  br_fdb_update(br: NetDevice, source: NetDevice, mac: number, vid: number, now: number): string {
    // "some users want to always flood": hold_time 0 disables learning
    if (holdTimeNs(br) === 0) return 'off';
    const e = this.find(br, mac, vid, now);
    if (e) {
      // received a frame with one of our own addresses as source: kernel warns, no update
      if (e.local) return 'own-address';
      e.updated = now;
      if (e.port !== source && !e.sticky) {
        e.port = source;
        e.text = null;
        return 'moved';
      }
      return 'refreshed';
    }
    if (this.learned >= this.maxLearned) {
      this.gc(now);
      if (this.learned >= this.maxLearned) { this.full = true; return 'full'; }
    }
    this.add(br.name, mac, vid, source, false, false, false, now);
    return 'learned';
  }

  /** br_fdb_cleanup: drop every expired dynamic entry */
  gc(now: number): void {
    for (const [brName, t] of this.tables) {
      for (const head of [...t.values()]) {
        for (let e: FdbEntry | null = head; e; e = e.next) {
          if (!e.static && !Number.isNaN(e.updated) && e.updated + this.holdByName(brName) <= now) this.remove(brName, e);
        }
      }
    }
  }

  private holdByName(br: string): number {
    return this.hold.get(br) ?? 300e9;
  }

  /** all entries of one bridge, for tests and the UI */
  entries(br: string): FdbEntry[] {
    const out: FdbEntry[] = [];
    for (const head of this.tables.get(br)?.values() ?? []) for (let e: FdbEntry | null = head; e; e = e.next) out.push(e);
    return out;
  }

  get learnedCount(): number {
    return this.learned;
  }
}

/** hold_time(br): ageing_time (topology-change forward_delay is not modelled: STP timers are not in a snapshot) */
export function holdTimeNs(br: NetDevice): number {
  // ip -d shows ageing_time in centiseconds (USER_HZ 100); kernel default 300 s
  const cs = br.bridge?.ageingTime ?? 30000;
  return cs * 1e7;
}
