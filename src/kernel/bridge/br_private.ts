// Per-bridge run-time view (net/bridge/br_private.h: struct net_bridge, net_bridge_port),
// built once per replay from the Host: port list, VLAN groups, br_netfilter knobs.

import type { Host, NetDevice } from '../../host/types.js';
import type { SkBuff } from '../skbuff.js';

export const BR_STATE_DISABLED = 0;
export const BR_STATE_LISTENING = 1;
export const BR_STATE_LEARNING = 2;
export const BR_STATE_FORWARDING = 3;
export const BR_STATE_BLOCKING = 4;

export function portState(p: NetDevice): number {
  switch (p.bridgePort?.state) {
    case 'disabled': return BR_STATE_DISABLED;
    case 'listening': return BR_STATE_LISTENING;
    case 'learning': return BR_STATE_LEARNING;
    case 'blocking': return BR_STATE_BLOCKING;
    default: return BR_STATE_FORWARDING;
  }
}
export const STATE_NAMES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'];

export interface VlanEntry { vid: number; pvid: boolean; untagged: boolean }

/** struct net_bridge_vlan_group */
export class VlanGroup {
  readonly vids = new Map<number, VlanEntry>();
  pvid = 0;
  constructor(list: VlanEntry[] | undefined) {
    for (const v of list ?? []) {
      this.vids.set(v.vid, v);
      if (v.pvid) this.pvid = v.vid;
    }
  }
}

export interface BridgeRt {
  host: Host;
  dev: NetDevice;
  /** br->port_list order: the kernel adds each new port at the head, so newest first (approximated by ifindex, descending) */
  ports: NetDevice[];
  vlanEnabled: boolean;
  vlanProto: number;
  /** br_vlan_group(br): the bridge device's own VLANs (`bridge vlan` rows for the bridge itself) */
  vg: VlanGroup;
  portVg: Map<string, VlanGroup>;
  /** br_netfilter: bridge-nf-call-iptables / -ip6tables / -arptables (only when br_netfilter is loaded) */
  nfCallIptables: boolean;
  nfCallIp6tables: boolean;
  nfCallArptables: boolean;
  /** timeline text per port, built once: "port p1 of br0, state forwarding" */
  portText: Map<NetDevice, string>;
  /** "to p1" per port */
  toText: Map<NetDevice, string>;
}

const cache = new WeakMap<Host, Map<string, BridgeRt>>();
let lastBr: NetDevice | null = null;
let lastRt: BridgeRt | null = null;

/** the bridge run-time state for a bridge device, built on first use */
export function bridgeOf(host: Host, br: NetDevice): BridgeRt {
  if (br === lastBr && lastRt!.host === host) return lastRt!;
  const rt0 = bridgeOfSlow(host, br);
  lastBr = br;
  lastRt = rt0;
  return rt0;
}

function bridgeOfSlow(host: Host, br: NetDevice): BridgeRt {
  let m = cache.get(host);
  if (!m) cache.set(host, (m = new Map()));
  let rt = m.get(br.name);
  if (rt) return rt;
  const ports = host.devices.filter((d) => d.master === br.name && d.bridgePort).sort((a, b) => b.ifindex - a.ifindex);
  const portVg = new Map<string, VlanGroup>();
  const toEntries = (name: string) => host.bridgeVlans.get(name)?.map((v) => ({ vid: v.vlan, pvid: v.pvid, untagged: v.untagged }));
  for (const p of ports) portVg.set(p.name, new VlanGroup(toEntries(p.name)));
  const flag = (k: string) => host.sysctls.raw.has(k) && host.sysctls.get(k).trim() === '1';
  rt = {
    host,
    dev: br,
    ports,
    vlanEnabled: !!br.bridge?.vlanFiltering,
    vlanProto: br.bridge?.vlanProtocol || 0x8100,
    vg: new VlanGroup(toEntries(br.name)),
    portVg,
    nfCallIptables: flag('net.bridge.bridge-nf-call-iptables'),
    nfCallIp6tables: flag('net.bridge.bridge-nf-call-ip6tables'),
    nfCallArptables: flag('net.bridge.bridge-nf-call-arptables'),
    portText: new Map(ports.map((p) => [p, `port ${p.name} of ${br.name}, state ${p.bridgePort!.state}`])),
    toText: new Map(ports.map((p) => [p, `to ${p.name}`])),
  };
  m.set(br.name, rt);
  return rt;
}

/** BR_INPUT_SKB_CB(skb): per-skb bridge state (kept beside the skb, not in the contract) */
export interface BrInputCb {
  brdev: NetDevice;
  vid: number;
  vlanFiltered: boolean;
  srcPortIsolated: boolean;
  /** br_netfilter ran the IP PRE_ROUTING hook already (ip_sabotage_in skips it on local delivery) */
  brnfPrerouted: boolean;
}

/** BR_INPUT_SKB_CB(skb): the bridge's control block in skb.cb (undefined when another layer owns it) */
export function BR_INPUT_SKB_CB(skb: SkBuff): BrInputCb | undefined {
  const cb = skb.cb;
  return cb instanceof BrInputCbImpl ? cb : undefined;
}
export function setCb(skb: SkBuff, cb: BrInputCb): void {
  skb.cb = cb;
}
/** allocate a fresh control block (br_handle_frame: memset(skb->cb, 0, ...)) */
export function newCb(brdev: NetDevice): BrInputCb {
  return new BrInputCbImpl(brdev);
}
class BrInputCbImpl implements BrInputCb {
  vid = 0;
  vlanFiltered = false;
  srcPortIsolated = false;
  brnfPrerouted = false;
  constructor(public brdev: NetDevice) {}
}

export function eth_is_multicast(d: Uint8Array, o: number): boolean {
  return (d[o] & 1) === 1;
}
export function eth_is_broadcast(d: Uint8Array, o: number): boolean {
  return (d[o] & d[o + 1] & d[o + 2] & d[o + 3] & d[o + 4] & d[o + 5]) === 0xff;
}
/** is_valid_ether_addr: not multicast and not all-zero */
export function is_valid_ether_addr(d: Uint8Array, o: number): boolean {
  return (d[o] & 1) === 0 && (d[o] | d[o + 1] | d[o + 2] | d[o + 3] | d[o + 4] | d[o + 5]) !== 0;
}
export function ether_addr_equal(d: Uint8Array, o: number, mac: Uint8Array | null): boolean {
  if (!mac) return false;
  for (let i = 0; i < 6; i++) if (d[o + i] !== mac[i]) return false;
  return true;
}
