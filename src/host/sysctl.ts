// Kernel defaults for the net.* sysctls the model reads, and the kernel's way of combining
// conf/all, conf/default and conf/<dev> for each per-device knob. A key absent from sysctl.txt
// takes the compiled-in default listed here (not a distribution's: Debian's systemd sets
// rp_filter=2, the kernel's default is 0).
//
// Sources (Linux 6.x): net/ipv4/devinet.c (ipv4_devconf, ipv4_devconf_dflt),
// include/linux/inetdevice.h (IN_DEV_* combination macros), net/ipv4/af_inet.c inet_init_net
// (ip_default_ttl, ip_local_port_range), net/ipv4/icmp.c icmp_sk_init, net/ipv4/tcp_ipv4.c
// tcp_sk_init (tcp_syncookies), net/ipv6/addrconf.c (ipv6_devconf, ipv6_devconf_dflt),
// net/netfilter/nf_conntrack_proto_tcp.c / _udp.c / _icmp.c / _generic.c (timeouts, tcp_loose,
// tcp_be_liberal), net/bridge/br_netfilter_hooks.c (brnf_call_* = 1).
// Cross-checked against a fresh network namespace recorded with `pktlife snapshot`
// (fixtures/host-samples/fresh/sysctl.txt, see test/host/sysctl.test.ts).
import type { Family, Sysctls } from './types.js';
import { HostError } from './errors.js';

/** Global (non per-device) keys. */
export const SYSCTL_DEFAULTS: Readonly<Record<string, string>> = {
  // ip_forward is conf/all/forwarding (devinet.c: ipv4_sysctl_forward writes all.forwarding)
  'net.ipv4.ip_forward': '0',
  'net.ipv4.ip_default_ttl': '64', // IPDEFTTL, af_inet.c inet_init_net
  'net.ipv4.ip_local_port_range': '32768\t60999', // af_inet.c inet_init_net
  'net.ipv4.ip_nonlocal_bind': '0',
  'net.ipv4.ip_no_pmtu_disc': '0',
  'net.ipv4.ip_forward_use_pmtu': '0',
  'net.ipv4.ip_early_demux': '1',
  'net.ipv4.tcp_early_demux': '1',
  'net.ipv4.udp_early_demux': '1',
  'net.ipv4.fwmark_reflect': '0',
  'net.ipv4.tcp_fwmark_accept': '0',
  'net.ipv4.tcp_l3mdev_accept': '0',
  'net.ipv4.udp_l3mdev_accept': '0',
  'net.ipv4.fib_multipath_hash_policy': '0',
  'net.ipv4.fib_multipath_use_neigh': '0',
  'net.ipv4.icmp_echo_ignore_all': '0', // icmp.c icmp_sk_init
  'net.ipv4.icmp_echo_ignore_broadcasts': '1',
  'net.ipv4.icmp_ignore_bogus_error_responses': '1',
  'net.ipv4.icmp_errors_use_inbound_ifaddr': '0',
  'net.ipv4.icmp_ratelimit': '1000', // ms (1 * HZ)
  'net.ipv4.icmp_ratemask': '6168', // dest unreach, source quench, time exceeded, param problem
  'net.ipv4.icmp_msgs_per_sec': '1000',
  'net.ipv4.icmp_msgs_burst': '50',
  'net.ipv4.tcp_syncookies': '1', // tcp_ipv4.c tcp_sk_init
  'net.ipv4.tcp_timestamps': '1',
  'net.ipv4.tcp_sack': '1',
  'net.ipv4.tcp_window_scaling': '1',
  'net.ipv4.tcp_ecn': '2',
  'net.ipv4.tcp_fin_timeout': '60',
  'net.ipv4.tcp_invalid_ratelimit': '500', // ms (HZ / 2)
  'net.ipv4.tcp_rfc1337': '0',
  'net.ipv4.ipfrag_time': '30',
  'net.ipv4.ipfrag_high_thresh': '4194304',
  'net.ipv4.ipfrag_low_thresh': '3145728',
  'net.ipv6.bindv6only': '0',
  'net.ipv6.ip_nonlocal_bind': '0',
  'net.ipv6.fwmark_reflect': '0',
  'net.ipv6.icmp.ratelimit': '100', // ms (HZ / 10), icmpv6_sk_init
  'net.ipv6.icmp.echo_ignore_all': '0',
  'net.ipv6.icmp.echo_ignore_multicast': '0',
  'net.ipv6.icmp.echo_ignore_anycast': '0',
  'net.ipv6.anycast_src_echo_reply': '0',
  // ip6_parse_tlv's option counts (IP6_DEFAULT_MAX_HBH_OPTS_CNT, IP6_DEFAULT_MAX_DST_OPTS_CNT)
  'net.ipv6.max_hbh_opts_number': '8',
  'net.ipv6.max_dst_opts_number': '8',
  'net.ipv6.ip6frag_time': '60',
  // conntrack (nf_conntrack_proto_*.c, nf_conntrack_core.c)
  'net.netfilter.nf_conntrack_tcp_loose': '1',
  'net.netfilter.nf_conntrack_tcp_be_liberal': '0',
  'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst': '0',
  'net.netfilter.nf_conntrack_tcp_max_retrans': '3',
  'net.netfilter.nf_conntrack_tcp_timeout_syn_sent': '120',
  'net.netfilter.nf_conntrack_tcp_timeout_syn_recv': '60',
  'net.netfilter.nf_conntrack_tcp_timeout_established': '432000',
  'net.netfilter.nf_conntrack_tcp_timeout_fin_wait': '120',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait': '60',
  'net.netfilter.nf_conntrack_tcp_timeout_last_ack': '30',
  'net.netfilter.nf_conntrack_tcp_timeout_time_wait': '120',
  'net.netfilter.nf_conntrack_tcp_timeout_close': '10',
  'net.netfilter.nf_conntrack_tcp_timeout_max_retrans': '300',
  'net.netfilter.nf_conntrack_tcp_timeout_unacknowledged': '300',
  'net.netfilter.nf_conntrack_udp_timeout': '30',
  'net.netfilter.nf_conntrack_udp_timeout_stream': '120',
  'net.netfilter.nf_conntrack_icmp_timeout': '30',
  'net.netfilter.nf_conntrack_icmpv6_timeout': '30',
  'net.netfilter.nf_conntrack_generic_timeout': '600',
  'net.netfilter.nf_conntrack_checksum': '1',
  'net.netfilter.nf_conntrack_acct': '0',
  'net.netfilter.nf_conntrack_log_invalid': '0',
  // nf_conntrack_max scales with RAM (nf_conntrack_init_start): 262144 on hosts with >= 4 GiB.
  // A snapshot records the real value; this fallback is that of such a host.
  'net.netfilter.nf_conntrack_max': '262144',
  'net.netfilter.nf_conntrack_buckets': '262144',
};

/** br_netfilter knobs: 1 when the module is loaded (br_netfilter_hooks.c), absent otherwise. */
export const BRIDGE_NF_KEYS: Readonly<Record<string, string>> = {
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.bridge.bridge-nf-call-arptables': '1',
  'net.bridge.bridge-nf-filter-vlan-tagged': '0',
  'net.bridge.bridge-nf-filter-pppoe-tagged': '0',
  'net.bridge.bridge-nf-pass-vlan-input-dev': '0',
};

/**
 * How the kernel combines all and dev for a knob:
 *  dev: the device's own value (IN_DEV_CONF_GET); all: net-wide only;
 *  or/and/max: IN_DEV_ORCONF / IN_DEV_ANDCONF / IN_DEV_MAXCONF; min: IPv6 accept_source_route;
 *  redirects: IN_DEV_RX_REDIRECTS (and when forwarding, or otherwise);
 *  forwarding6: ip6_forward (6.17+) forwards when all.forwarding or the ingress device's force_forwarding.
 */
export type Combine = 'dev' | 'all' | 'or' | 'and' | 'max' | 'min' | 'redirects' | 'forwarding6';

export interface ConfKnob {
  /** compiled default of conf/all */
  all: number;
  /** compiled default of conf/default (what a new device starts with) */
  dflt: number;
  combine: Combine;
}

/** IPv4 per-device knobs: defaults from devinet.c, combination from inetdevice.h. */
export const IPV4_CONF: Readonly<Record<string, ConfKnob>> = {
  forwarding: { all: 0, dflt: 0, combine: 'dev' }, // IN_DEV_FORWARD
  mc_forwarding: { all: 0, dflt: 0, combine: 'and' }, // IN_DEV_MFORWARD
  bc_forwarding: { all: 0, dflt: 0, combine: 'and' }, // IN_DEV_BFORWARD
  rp_filter: { all: 0, dflt: 0, combine: 'max' }, // IN_DEV_RPFILTER
  src_valid_mark: { all: 0, dflt: 0, combine: 'or' }, // IN_DEV_SRC_VMARK
  accept_source_route: { all: 0, dflt: 1, combine: 'and' }, // IN_DEV_SOURCE_ROUTE; dflt=1 in ipv4_devconf_dflt
  accept_local: { all: 0, dflt: 0, combine: 'or' }, // IN_DEV_ACCEPT_LOCAL
  bootp_relay: { all: 0, dflt: 0, combine: 'and' },
  log_martians: { all: 0, dflt: 0, combine: 'or' }, // IN_DEV_LOG_MARTIANS
  proxy_arp: { all: 0, dflt: 0, combine: 'or' },
  proxy_arp_pvlan: { all: 0, dflt: 0, combine: 'dev' },
  shared_media: { all: 1, dflt: 1, combine: 'or' },
  send_redirects: { all: 1, dflt: 1, combine: 'or' }, // IN_DEV_TX_REDIRECTS
  secure_redirects: { all: 1, dflt: 1, combine: 'or' },
  accept_redirects: { all: 1, dflt: 1, combine: 'redirects' }, // IN_DEV_RX_REDIRECTS
  promote_secondaries: { all: 0, dflt: 0, combine: 'or' },
  route_localnet: { all: 0, dflt: 0, combine: 'or' }, // IN_DEV_ROUTE_LOCALNET
  ignore_routes_with_linkdown: { all: 0, dflt: 0, combine: 'or' },
  arp_filter: { all: 0, dflt: 0, combine: 'or' }, // IN_DEV_ARPFILTER
  arp_accept: { all: 0, dflt: 0, combine: 'max' }, // IN_DEV_ARP_ACCEPT (MAXCONF since 6.0)
  arp_announce: { all: 0, dflt: 0, combine: 'max' },
  arp_ignore: { all: 0, dflt: 0, combine: 'max' }, // IN_DEV_ARP_IGNORE
  arp_notify: { all: 0, dflt: 0, combine: 'max' },
  arp_evict_nocarrier: { all: 1, dflt: 1, combine: 'and' }, // IN_DEV_ARP_EVICT_NOCARRIER
  drop_unicast_in_l2_multicast: { all: 0, dflt: 0, combine: 'or' }, // ip_input.c ip_rcv_finish_core
  drop_gratuitous_arp: { all: 0, dflt: 0, combine: 'or' }, // arp.c arp_process
  disable_policy: { all: 0, dflt: 0, combine: 'dev' },
  disable_xfrm: { all: 0, dflt: 0, combine: 'dev' },
};

/** IPv6 per-device knobs: defaults from addrconf.c, combination from where the kernel reads them. */
export const IPV6_CONF: Readonly<Record<string, ConfKnob>> = {
  // ip6_output.c ip6_forward: devconf_all->forwarding || idev->cnf.force_forwarding (force_forwarding since 6.17)
  forwarding: { all: 0, dflt: 0, combine: 'forwarding6' },
  force_forwarding: { all: 0, dflt: 0, combine: 'dev' },
  disable_ipv6: { all: 0, dflt: 0, combine: 'dev' }, // ip6_input.c ipv6_rcv reads idev->cnf.disable_ipv6
  accept_ra: { all: 1, dflt: 1, combine: 'dev' },
  accept_redirects: { all: 1, dflt: 1, combine: 'dev' },
  autoconf: { all: 1, dflt: 1, combine: 'dev' },
  hop_limit: { all: 64, dflt: 64, combine: 'dev' }, // ip6_dst_hoplimit: idev->cnf.hop_limit
  mtu: { all: 1280, dflt: 1280, combine: 'dev' },
  accept_source_route: { all: 0, dflt: 0, combine: 'min' }, // exthdrs.c ipv6_rthdr_rcv: min(all, dev)
  accept_dad: { all: 0, dflt: 1, combine: 'max' }, // addrconf_dad_begin: both < 1 disables DAD
  dad_transmits: { all: 1, dflt: 1, combine: 'dev' },
  drop_unicast_in_l2_multicast: { all: 0, dflt: 0, combine: 'dev' }, // ipv6_rcv: idev->cnf
  drop_unsolicited_na: { all: 0, dflt: 0, combine: 'dev' },
  proxy_ndp: { all: 0, dflt: 0, combine: 'dev' },
  mc_forwarding: { all: 0, dflt: 0, combine: 'dev' },
};

const famKey = (f: Family) => (f === 4 ? 'ipv4' : 'ipv6');

/** Parse sysctl.txt: `key = value` lines (sysctl -a); net.* keys kept, others ignored. */
export function parseSysctlText(file: string, text: string): Map<string, string> {
  const raw = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const eq = line.indexOf(' = ');
    let key: string;
    let value: string;
    if (eq >= 0) {
      key = line.slice(0, eq).trim();
      value = line.slice(eq + 3);
    } else if (line.trimEnd().endsWith(' =')) {
      key = line.trimEnd().slice(0, -2).trim();
      value = '';
    } else {
      throw new HostError(file, `line ${i + 1}`, `expected "key = value" (sysctl -a output), found "${line.slice(0, 60)}"`);
    }
    if (!/^[\w.\-/:@+]+$/.test(key)) throw new HostError(file, `line ${i + 1}`, `bad sysctl key "${key}"`);
    if (key.startsWith('net.')) raw.set(key, value);
  }
  return raw;
}

export class SysctlTable implements Sysctls {
  /** br_netfilter loaded: the snapshot has net.bridge.bridge-nf-* keys */
  readonly brNetfilter: boolean;

  constructor(
    readonly raw: Map<string, string>,
    private readonly file = 'sysctl.txt',
  ) {
    this.brNetfilter = [...raw.keys()].some((k) => k.startsWith('net.bridge.bridge-nf-'));
  }

  /** Value with the kernel default when absent; an unknown key with no default is a model bug. */
  get(key: string): string {
    const v = this.raw.get(key);
    if (v !== undefined) return v;
    if (key in SYSCTL_DEFAULTS) {
      // ip_forward and conf.all.forwarding are one knob
      if (key === 'net.ipv4.ip_forward') {
        const all = this.raw.get('net.ipv4.conf.all.forwarding');
        if (all !== undefined) return all;
      }
      return SYSCTL_DEFAULTS[key]!;
    }
    if (key in BRIDGE_NF_KEYS) return this.brNetfilter ? BRIDGE_NF_KEYS[key]! : '0';
    const m = /^net\.(ipv4|ipv6)\.conf\.([^.]+)\.(.+)$/.exec(key);
    if (m) {
      const fam: Family = m[1] === 'ipv4' ? 4 : 6;
      return String(this.confValue(fam, m[2]!, m[3]!));
    }
    throw new Error(`sysctl ${key}: no kernel default known to the model (add it to src/host/sysctl.ts)`);
  }

  getInt(key: string): number {
    const s = this.get(key).trim();
    const n = Number(s.split(/\s+/)[0]);
    if (!Number.isFinite(n)) throw new HostError(this.file, key, `expected a number, found "${s}"`);
    return n;
  }

  private knob(family: Family, knob: string): ConfKnob {
    const k = (family === 4 ? IPV4_CONF : IPV6_CONF)[knob];
    if (!k) throw new Error(`sysctl net.${famKey(family)}.conf.*.${knob}: no kernel default known to the model (add it to src/host/sysctl.ts)`);
    return k;
  }

  private num(key: string): number | undefined {
    const v = this.raw.get(key);
    if (v === undefined) return undefined;
    const n = Number(v.trim());
    if (!Number.isFinite(n)) throw new HostError(this.file, key, `expected a number, found "${v}"`);
    return n;
  }

  /** conf/<which>/<knob> as stored (no combination): all, default, or a device. */
  confValue(family: Family, which: string, knob: string): number {
    const k = this.knob(family, knob);
    const p = `net.${famKey(family)}.conf.`;
    if (which === 'all') {
      const v = this.num(`${p}all.${knob}`);
      if (v !== undefined) return v;
      if (family === 4 && knob === 'forwarding') {
        const f = this.num('net.ipv4.ip_forward');
        if (f !== undefined) return f;
      }
      return k.all;
    }
    if (which === 'default') return this.num(`${p}default.${knob}`) ?? k.dflt;
    // a device missing from sysctl.txt starts from conf/default (devinet.c inetdev_init copies dflt)
    return this.num(`${p}${which}.${knob}`) ?? this.confValue(family, 'default', knob);
  }

  conf(family: Family, dev: string, knob: string): number {
    const k = this.knob(family, knob);
    const all = this.confValue(family, 'all', knob);
    const d = this.confValue(family, dev, knob);
    switch (k.combine) {
      case 'dev':
        return d;
      case 'all':
        return all;
      case 'or':
        return all || d ? 1 : 0;
      case 'and':
        return all && d ? 1 : 0;
      case 'max':
        return Math.max(all, d);
      case 'min':
        return Math.min(all, d);
      case 'forwarding6':
        return all || this.confValue(family, dev, 'force_forwarding') ? 1 : 0;
      case 'redirects': {
        const fwd = this.confValue(family, dev, 'forwarding');
        return fwd ? (all && d ? 1 : 0) : all || d ? 1 : 0;
      }
    }
  }
}
