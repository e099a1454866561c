// Sysctl defaults and the kernel's all/default/dev combination.
// Combination rules: include/linux/inetdevice.h (IN_DEV_ORCONF / ANDCONF / MAXCONF, IN_DEV_RX_REDIRECTS);
// defaults cross-checked against a fresh namespace recorded on Linux 6.18 (fixtures/host-samples/fresh).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { IPV4_CONF, IPV6_CONF, SYSCTL_DEFAULTS, SysctlTable, parseSysctlText } from '../../src/host/sysctl.js';

const table = (text: string) => new SysctlTable(parseSysctlText('sysctl.txt', text));
const fresh = parseSysctlText('sysctl.txt', readFileSync(new URL('../../fixtures/host-samples/fresh/sysctl.txt', import.meta.url), 'utf8'));

describe('kernel defaults', () => {
  it('every global default agrees with the fresh namespace recording (where the kernel has the key)', () => {
    // nf_conntrack_max/buckets scale with RAM (nf_conntrack_init_start); the recording host has >= 4 GiB
    const checked: string[] = [];
    for (const [k, v] of Object.entries(SYSCTL_DEFAULTS)) {
      const rec = fresh.get(k);
      if (rec === undefined) continue;
      expect(`${k} = ${rec}`).toBe(`${k} = ${v}`);
      checked.push(k);
    }
    expect(checked.length).toBeGreaterThan(40);
  });

  it('every per-device all/default default agrees with the fresh namespace recording', () => {
    let n = 0;
    for (const [fam, tab] of [['ipv4', IPV4_CONF], ['ipv6', IPV6_CONF]] as const) {
      for (const [knob, k] of Object.entries(tab)) {
        for (const [which, want] of [['all', k.all], ['default', k.dflt]] as const) {
          const rec = fresh.get(`net.${fam}.conf.${which}.${knob}`);
          if (rec === undefined) continue; // e.g. mc_forwarding without CONFIG_IP_MROUTE
          expect(`net.${fam}.conf.${which}.${knob} = ${rec}`).toBe(`net.${fam}.conf.${which}.${knob} = ${want}`);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(50);
  });

  it('an empty snapshot answers with the kernel defaults', () => {
    const t = table('');
    expect(t.getInt('net.ipv4.ip_forward')).toBe(0);
    expect(t.getInt('net.ipv4.ip_default_ttl')).toBe(64);
    expect(t.get('net.ipv4.ip_local_port_range')).toBe('32768\t60999');
    expect(t.conf(4, 'eth0', 'rp_filter')).toBe(0);
    expect(t.conf(4, 'eth0', 'accept_source_route')).toBe(0); // all 0 AND default 1
    expect(t.conf(6, 'eth0', 'hop_limit')).toBe(64);
    expect(t.getInt('net.netfilter.nf_conntrack_tcp_loose')).toBe(1);
    // no net.bridge keys: br_netfilter not loaded, bridged frames skip iptables
    expect(t.getInt('net.bridge.bridge-nf-call-iptables')).toBe(0);
  });

  it('a knob the model has no default for is a model bug, not a silent 0', () => {
    expect(() => table('').get('net.ipv4.no_such_knob')).toThrow(/no kernel default known/);
    expect(() => table('').conf(4, 'eth0', 'no_such_knob')).toThrow(/no kernel default known/);
  });
});

describe('combination of all, default and device (include/linux/inetdevice.h)', () => {
  it('rp_filter is max(all, dev) (IN_DEV_MAXCONF)', () => {
    const t = table('net.ipv4.conf.all.rp_filter = 2\nnet.ipv4.conf.eth0.rp_filter = 1\nnet.ipv4.conf.eth1.rp_filter = 0\n');
    expect(t.conf(4, 'eth0', 'rp_filter')).toBe(2);
    expect(t.conf(4, 'eth1', 'rp_filter')).toBe(2);
    const u = table('net.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.eth0.rp_filter = 1\n');
    expect(u.conf(4, 'eth0', 'rp_filter')).toBe(1);
  });

  it('accept_local, route_localnet, log_martians are OR (IN_DEV_ORCONF)', () => {
    for (const knob of ['accept_local', 'route_localnet', 'log_martians']) {
      expect(table(`net.ipv4.conf.all.${knob} = 1\nnet.ipv4.conf.eth0.${knob} = 0\n`).conf(4, 'eth0', knob)).toBe(1);
      expect(table(`net.ipv4.conf.all.${knob} = 0\nnet.ipv4.conf.eth0.${knob} = 1\n`).conf(4, 'eth0', knob)).toBe(1);
      expect(table(`net.ipv4.conf.all.${knob} = 0\nnet.ipv4.conf.eth0.${knob} = 0\n`).conf(4, 'eth0', knob)).toBe(0);
    }
  });

  it('accept_source_route is AND (IN_DEV_SOURCE_ROUTE)', () => {
    expect(table('net.ipv4.conf.all.accept_source_route = 0\nnet.ipv4.conf.eth0.accept_source_route = 1\n').conf(4, 'eth0', 'accept_source_route')).toBe(0);
    expect(table('net.ipv4.conf.all.accept_source_route = 1\nnet.ipv4.conf.eth0.accept_source_route = 1\n').conf(4, 'eth0', 'accept_source_route')).toBe(1);
  });

  it('arp_ignore and arp_accept are MAX', () => {
    expect(table('net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.eth0.arp_ignore = 2\n').conf(4, 'eth0', 'arp_ignore')).toBe(2);
    expect(table('net.ipv4.conf.all.arp_ignore = 8\nnet.ipv4.conf.eth0.arp_ignore = 2\n').conf(4, 'eth0', 'arp_ignore')).toBe(8);
    expect(table('net.ipv4.conf.all.arp_accept = 2\nnet.ipv4.conf.eth0.arp_accept = 1\n').conf(4, 'eth0', 'arp_accept')).toBe(2);
  });

  it('forwarding is per device (IN_DEV_FORWARD); all does not override a device value', () => {
    const t = table('net.ipv4.conf.all.forwarding = 1\nnet.ipv4.conf.eth0.forwarding = 0\nnet.ipv4.conf.eth1.forwarding = 1\n');
    expect(t.conf(4, 'eth0', 'forwarding')).toBe(0);
    expect(t.conf(4, 'eth1', 'forwarding')).toBe(1);
  });

  it('a device absent from sysctl.txt starts from conf/default (inetdev_init copies devconf_dflt)', () => {
    const t = table('net.ipv4.conf.default.forwarding = 1\nnet.ipv4.conf.default.rp_filter = 1\n');
    expect(t.conf(4, 'eth5', 'forwarding')).toBe(1);
    expect(t.conf(4, 'eth5', 'rp_filter')).toBe(1);
  });

  it('ip_forward and conf.all.forwarding are one knob', () => {
    expect(table('net.ipv4.ip_forward = 1\n').confValue(4, 'all', 'forwarding')).toBe(1);
    expect(table('net.ipv4.conf.all.forwarding = 1\n').getInt('net.ipv4.ip_forward')).toBe(1);
  });

  it('accept_redirects follows IN_DEV_RX_REDIRECTS: AND when forwarding, OR otherwise', () => {
    const base = 'net.ipv4.conf.all.accept_redirects = 0\nnet.ipv4.conf.eth0.accept_redirects = 1\n';
    expect(table(base + 'net.ipv4.conf.eth0.forwarding = 0\n').conf(4, 'eth0', 'accept_redirects')).toBe(1);
    expect(table(base + 'net.ipv4.conf.eth0.forwarding = 1\n').conf(4, 'eth0', 'accept_redirects')).toBe(0);
  });

  it('IPv6 forwarding is the net-wide value (ip6_forward reads devconf_all), accept_source_route the minimum', () => {
    const t = table('net.ipv6.conf.all.forwarding = 1\nnet.ipv6.conf.eth0.forwarding = 0\nnet.ipv6.conf.all.accept_source_route = 1\nnet.ipv6.conf.eth0.accept_source_route = 0\n');
    expect(t.conf(6, 'eth0', 'forwarding')).toBe(1);
    expect(t.conf(6, 'eth0', 'accept_source_route')).toBe(0);
  });

  it('IPv6 forwarding also happens on a device with force_forwarding (ip6_forward, Linux 6.17+)', () => {
    const t = table('net.ipv6.conf.all.forwarding = 0\nnet.ipv6.conf.eth0.force_forwarding = 1\n');
    expect(t.conf(6, 'eth0', 'forwarding')).toBe(1);
    expect(t.conf(6, 'eth1', 'forwarding')).toBe(0);
  });

  it('get() of a device key answers the stored or inherited value', () => {
    const t = table('net.ipv4.conf.default.rp_filter = 2\n');
    expect(t.get('net.ipv4.conf.eth9.rp_filter')).toBe('2');
  });
});
