// Parsers for `bridge -j fdb show` and `bridge -j vlan show` (iproute2 bridge/fdb.c, bridge/vlan.c).
import type { FdbEntry } from '../types.js';
import { parseMac } from '../addr.js';
import { Cursor } from './json.js';

export function parseFdb(c: Cursor): FdbEntry {
  const macS = c.str('mac');
  const mac = parseMac(macS);
  if (!mac) throw c.err(`expected a MAC address, found "${macS}"`, 'mac');
  const e: FdbEntry = { mac, macStr: macS, dev: c.str('ifname'), flags: c.strArray('flags'), state: c.optStr('state') ?? '' };
  const master = c.optStr('master');
  if (master !== undefined) e.master = master;
  const vlan = c.optNum('vlan');
  if (vlan !== undefined) e.vlan = vlan;
  return e;
}

export interface PortVlan {
  vlan: number;
  pvid: boolean;
  untagged: boolean;
}

/** One element: {"ifname": "p1", "vlans": [{"vlan": 10, "vlanEnd"?: 20, "flags"?: ["PVID", "Egress Untagged"]}]} */
export function parseVlanPort(c: Cursor): { port: string; vlans: PortVlan[] } {
  const port = c.str('ifname');
  const vlans: PortVlan[] = [];
  for (const v of c.has('vlans') ? c.get('vlans').array() : []) {
    const first = v.num('vlan');
    const last = v.optNum('vlanEnd') ?? first;
    if (!Number.isInteger(first) || first < 0 || first > 4095 || last < first || last > 4095) throw v.err(`bad VLAN id/range ${first}-${last}`, 'vlan');
    const flags = v.strArray('flags');
    // iproute2 prints "PVID" / "Egress Untagged"; accept the lower-case spelling proposed upstream too
    const pvid = flags.includes('PVID') || flags.includes('pvid');
    const untagged = flags.includes('Egress Untagged') || flags.includes('untagged');
    for (let id = first; id <= last; id++) vlans.push({ vlan: id, pvid, untagged });
  }
  return { port, vlans };
}
