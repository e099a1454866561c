// Per-packet questions about a device's flags (include/linux/netdevice.h). The loader derives
// them once (NetDevice.isLoopback / noArp); a hand-built device without them is read from `flags`.
import type { NetDevice } from '../../host/types.js';

/** dev->flags & IFF_LOOPBACK (or a loopback-kind device) */
export function dev_is_loopback(dev: NetDevice): boolean {
  return dev.isLoopback ?? (dev.kind === 'loopback' || dev.flags.has('LOOPBACK'));
}

/** dev->flags & IFF_NOARP */
export function dev_noarp(dev: NetDevice): boolean {
  return dev.noArp ?? dev.flags.has('NOARP');
}
