// The host model built from a snapshot directory (see src/host/load.ts and README "Host snapshot").
// Plain data: the kernel stages read it, state the kernel keeps at run time (learned FDB entries,
// conntrack, fragments) lives in kernel/ objects created per replay, never here.
//
// Addresses: IPv4 as unsigned 32-bit numbers (host order), IPv6 as 16-byte Uint8Array;
// the `*Str` fields keep the text form for output.

export type Family = 4 | 6;

export interface IfAddr {
  family: Family;
  /** IPv4: u32; IPv6: 16 bytes */
  local: number | Uint8Array;
  localStr: string;
  prefixlen: number;
  /** IPv4 broadcast address when set */
  broadcast?: number;
  /** IPv4 point-to-point peer (`ip addr add A peer B`) */
  peer?: number | Uint8Array;
  scope: string; // global | link | host | site
  noprefixroute?: boolean;
  /** IPv6 DAD not finished / failed: the kernel does not treat the address as local yet (ipv6_chk_addr) */
  tentative?: boolean;
  dadfailed?: boolean;
  /** IPv4 secondary address (another address of the same subnet came first): no prefix route, not a source choice */
  secondary?: boolean;
}

export interface BridgePortInfo {
  /** STP port state: disabled | listening | learning | forwarding | blocking */
  state: string;
  learning: boolean;
  flood: boolean;
  mcastFlood: boolean;
  bcastFlood: boolean;
  hairpin: boolean;
  isolated: boolean;
}

export interface BridgeInfo {
  vlanFiltering: boolean;
  vlanProtocol: number;
  defaultPvid: number;
  stpState: number;
  ageingTime: number; // centiseconds, as ip -d shows
  /** br_netfilter knobs come from sysctl (net.bridge.bridge-nf-call-*) */
}

export interface VlanInfo {
  id: number;
  protocol: number; // 0x8100 or 0x88a8
  /** ifindex of the lower device */
  link: number;
}

export interface NetDevice {
  ifindex: number;
  name: string;
  /** link kind from `ip -d link`: loopback, ether, veth, bridge, vlan, dummy, tun, macvlan, ... */
  kind: string;
  mtu: number;
  /** 6-byte MAC, null for devices without one (loopback has 00:..:00, tun none) */
  mac: Uint8Array | null;
  macStr: string | null;
  up: boolean;
  /** IFF_* flags as ip prints them: UP, LOWER_UP, BROADCAST, MULTICAST, NOARP, PROMISC, LOOPBACK, POINTOPOINT */
  flags: Set<string>;
  /** derived once by the loader (the kernel path asks per packet): kind loopback or IFF_LOOPBACK,
   *  and IFF_NOARP. Absent on hand-built devices: src/kernel/core/netdevice.ts then reads `flags` */
  isLoopback?: boolean;
  noArp?: boolean;
  operstate: string;
  /** name of the master device (bridge, bond, vrf) */
  master: string | null;
  bridge?: BridgeInfo;
  bridgePort?: BridgePortInfo;
  vlan?: VlanInfo;
  /** generic-receive-offload on (default true; ethtool state is not in ip -d, so assume kernel default) */
  gro: boolean;
  addrs: IfAddr[];
  /** multicast groups joined on the device (`ip -j maddr show`: the kernel's own and every
   *  application's IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP); IPv6 groups as 16-character binary
   *  strings (the kernel path's key6). Absent when the snapshot has no ip-maddr.json: only the kernel's own are assumed. */
  mcast?: { v4: Set<number>; v6: Set<string> };
  /** XDP program(s) attached (ip -d link "xdp"); absent when none */
  xdp?: XdpInfo;
}

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'multicast' | 'anycast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat';

export interface Nexthop {
  gateway?: number | Uint8Array;
  gatewayStr?: string;
  dev?: string;
  weight?: number;
  onlink?: boolean;
  /** nexthop flags as ip prints them: onlink, dead, linkdown, pervasive */
  flags?: string[];
}

export interface Route {
  family: Family;
  /** table id: local 255, main 254, default 253 */
  table: number;
  type: RouteType;
  dst: number | Uint8Array; // network address (0 for default)
  dstStr: string; // as ip prints it: "default", "10.0.0.0/24", "10.0.0.1"
  dstLen: number;
  gateway?: number | Uint8Array;
  gatewayStr?: string;
  dev?: string;
  prefsrc?: number | Uint8Array;
  scope: string; // global | link | host | nowhere
  metric: number;
  protocol: string;
  tos?: number;
  nexthops?: Nexthop[];
  mtu?: number;
  onlink?: boolean;
  /** route flags as ip prints them: onlink, dead (fib lookup skips it), linkdown, pervasive, offload */
  flags?: string[];
  /** attributes present in the snapshot that the model does not evaluate (encap, nhid, ...): report, never ignore */
  unsupported?: string[];
}

export interface Rule {
  family: Family;
  priority: number;
  not: boolean;
  src?: number | Uint8Array;
  srcStr?: string;
  srcLen: number;
  dst?: number | Uint8Array;
  dstStr?: string;
  dstLen: number;
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  tos?: number;
  ipproto?: number;
  sport?: [number, number];
  dport?: [number, number];
  /** 'to_tbl' | 'goto' | 'blackhole' | 'unreachable' | 'prohibit' | 'nop' */
  action: string;
  table?: number;
  suppressPrefixlen?: number;
  suppressIfgroup?: number;
  /** goto whose target priority has no rule: fib_rules_lookup skips it */
  unresolved?: boolean;
  /** uidrange selector (ip -j rule: uid_start/uid_end), inclusive */
  uidRange?: [number, number];
  /** the rule as `ip rule` prints it, for the timeline */
  text: string;
  /** selectors present that the model does not evaluate (uidrange, l3mdev, ...): report, never ignore */
  unsupported?: string[];
}

export interface Neighbour {
  family: Family;
  dst: number | Uint8Array;
  dstStr: string;
  dev: string;
  lladdr: Uint8Array | null;
  lladdrStr: string | null;
  /** NUD state(s) as ip prints them: PERMANENT, REACHABLE, STALE, FAILED, INCOMPLETE, NOARP ... */
  state: string[];
  router?: boolean;
}

export interface FdbEntry {
  mac: Uint8Array;
  macStr: string;
  dev: string;
  master?: string;
  vlan?: number;
  /** permanent/static entries never age; 'self' entries belong to the device's own table */
  flags: string[];
  state: string; // permanent | static | (empty = learned)
}

export interface SocketEntry {
  proto: 'tcp' | 'udp';
  state: string; // LISTEN, ESTAB, UNCONN, SYN-RECV, TIME-WAIT ...
  family: Family;
  local: number | Uint8Array | null; // null = wildcard (0.0.0.0, ::, *)
  localStr: string; // as ss prints it: "0.0.0.0:22", "[::]:22", "*:68"
  localPort: number;
  /** SO_BINDTODEVICE / %dev suffix */
  boundDev?: string;
  peer: number | Uint8Array | null;
  peerStr: string;
  peerPort: number;
  /** ipv6only unknown from ss: a [::] listener also takes IPv4 unless net.ipv6.bindv6only=1 */
  v6only?: boolean;
  process?: string;
  recvQ: number;
  sendQ: number;
}

/** Rule-set files as found, parsed later by netfilter (src/kernel/netfilter). */
export interface RuleFile {
  path: string;
  text: string;
}

export interface Sysctls {
  /** raw key -> value from sysctl.txt, net.* keys */
  raw: Map<string, string>;
  /** value with the kernel default when absent (see src/host/sysctl-defaults.ts) */
  get(key: string): string;
  getInt(key: string): number;
  /** per-device key with the kernel's all/default/dev combination for that knob (e.g. rp_filter = max(all, dev)) */
  conf(family: Family, dev: string, knob: string): number;
  /** conf/<all|default|dev>/<knob> as stored, without combination (e.g. IPv6 per-device forwarding for router behaviour) */
  confValue(family: Family, which: string, knob: string): number;
}

export interface Host {
  dir: string;
  devices: NetDevice[];
  byName: Map<string, NetDevice>;
  byIndex: Map<number, NetDevice>;
  routes: Route[];
  rules: Rule[];
  neigh: Neighbour[];
  fdb: FdbEntry[];
  /** bridge -j vlan show: port -> vlans (pvid/untagged flags) */
  bridgeVlans: Map<string, { vlan: number; pvid: boolean; untagged: boolean }[]>;
  sockets: SocketEntry[];
  sysctls: Sysctls;
  nftText?: RuleFile;
  nftJson?: RuleFile;
  iptables?: RuleFile;
  ip6tables?: RuleFile;
  ipset?: RuleFile;
  /** `nfacct list`: the accounting objects xt_nfacct rules name */
  nfacct?: RuleFile;
  /** tc-qdisc.json / tc-filter.json; absent when the snapshot has neither (no tc filters) */
  tc?: HostTc;
  /** `iptables -V` of the snapshot (snapshot.json): "nf_tables" (iptables-nft) or "legacy" */
  iptablesVariant?: 'nf_tables' | 'legacy';
}

/** One tc action as `tc -j` prints it (act_*.c; iproute2 tc/m_*.c). */
export interface TcAction {
  kind: string;
  order: number;
  /** control_action: pass | drop | pipe | continue | stolen | reclassify | trap | goto | jump | ... */
  control: string;
  /** goto chain N / jump N */
  controlArg?: number;
  /** mirred: redirect or mirror, to which device, ingress or egress side */
  mirred?: { action: 'redirect' | 'mirror'; direction: 'ingress' | 'egress'; dev: string };
  /** everything tc printed for the action (the model reads kind-specific keys from it) */
  raw: Record<string, unknown>;
  /** where in tc-filter.json, for messages */
  where: string;
}

/** One u32 key: 32-bit value/mask at `off` from the network header (+ the variable offset when offmask) */
export interface TcU32Key {
  value: number;
  mask: number;
  off: number;
  offmask: number;
}

/** One tc filter node as `tc -j filter show` prints it. */
export interface TcFilter {
  chain: number;
  pref: number;
  /** protocol as tc prints it: ip, ipv6, all, 802.1Q, arp, or 0xNNNN; `ethType` is its number (0x0003 = all) */
  protocol: string;
  ethType: number;
  kind: string;
  /** the handle / fh tc printed */
  handle: string;
  skipSw: boolean;
  actions: TcAction[];
  /** classid/flowid (tc's "flowid" key) as major:minor text */
  classid?: string;
  /** u32: a hash table (fh "H:") or a key node (fh "H:B:N") */
  u32?:
    | { ht: number; divisor: number }
    | {
        ht: number;
        bucket: number;
        node: number;
        keys: TcU32Key[];
        link?: number;
        /** TC_U32_OFFSET / VAROFFSET: offset at off, mask, shift; eat */
        offset?: { off: number; mask: number; shift: number; at: number; variable: boolean; eat: boolean };
        hash?: { mask: number; off: number };
        terminal: boolean;
      };
  /** bpf: classic bytecode, or an eBPF program (opaque) */
  bpf?: { directAction: boolean; insns?: { code: number; jt: number; jf: number; k: number }[]; prog?: { id: number; name: string; tag?: string }; name?: string };
  /** every option tc printed (flower keys, matchall, ...): read by the classifier model */
  options: Record<string, unknown>;
  where: string;
}

/** tc-qdisc.json entry: only what the model needs */
export interface TcQdisc {
  kind: string;
  handle: string;
  dev: string;
  parent?: string;
  root: boolean;
}

export interface HostTc {
  qdiscs: TcQdisc[];
  /** per device: filters of the ingress and egress hooks (clsact/ingress qdisc), in the file's order */
  filters: Map<string, { ingress: TcFilter[]; egress: TcFilter[]; qdisc: 'ingress' | 'clsact'; u32Roots?: TcU32Root[] }>;
}

/** the root hash table of one u32 instance (tcf_proto), from `tc -j filter get ... handle fff: u32`
 *  (u32_get: TC_U32_ROOT is tp->root): the dumps of both clsact hooks list every table of a pref */
export interface TcU32Root {
  ingress: boolean;
  chain: number;
  pref: number;
  /** the table's id (htid >> 20), e.g. 0x800 for "800:" */
  ht: number;
}

/** XDP program attached to a device (`ip -j -d link show` "xdp") */
export interface XdpInfo {
  /** 1 driver (native), 2 generic (skb), 3 offload, 4 multi */
  mode: number;
  progs: { id: number; name: string; tag?: string; mode: number }[];
}
