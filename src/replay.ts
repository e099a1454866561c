// The replay driver: read a capture, hand every frame to the modelled kernel of one host,
// return one FateRecord per frame (pull-based: openReplay().next()).
//
// Per frame: the ingress device (pcapng if_name, SLL2 ifindex, or opts.iface), the link layer
// (Ethernet via eth_type_trans; SLL/SLL2 packet type; raw IP), the direction (frames the host
// sent go through the local output path so conntrack sees both directions) and the checksum
// trust (--checksums), then netif_receive_skb or the output path.

import { openCapture, type CaptureReader, STDIN_NAME } from './capture/reader.js';
import { DIR_OUTBOUND, type Frame } from './capture/types.js';
import type { Host, NetDevice } from './host/types.js';
import { loadHostArg } from './host/load.js';
import { FrameCtx, type ReplayOptions } from './kernel/ctx.js';
import { bpfDecls } from './kernel/sched/bpf_decl.js';
import type { FateRecord } from './kernel/fate.js';
import { createNet, type Net } from './kernel/net.js';
import type { NfHooks } from './kernel/netfilter/hook.js';
import { createNfHooks } from './kernel/netfilter/index.js';
import { nfKernelOps } from './kernel/netfilter/nf_reject.js';
import { SkBuff, CHECKSUM_NONE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, PACKET_HOST, PACKET_OUTGOING } from './kernel/skbuff.js';
import { eth_type_trans, netif_receive_skb, local_out_captured } from './kernel/core/dev.js';
import { checksumLeftToNic } from './kernel/transport/csum.js';
import { Decoded, decodeFrame, LT_EN10MB, LT_RAW, LT_RAW_BSD12, LT_RAW_BSD14, LT_LINUX_SLL, LT_LINUX_SLL2, LT_IPV4, LT_IPV6, LT_NULL, LT_LOOP } from './packet/decode.js';
import { summarize, SummaryState } from './packet/summary.js';
import type { ReplayItem, ReplaySource } from './replay-types.js';
import { LT_NFLOG } from './packet/nflog.js';
import { NflogReplay, type NflogFrame } from './replay-nflog.js';
import { ipv4Saddr } from './packet/ipv4.js';
import { ipv6ToString } from './packet/addr.js';
import { HoldQueue } from './replay-hold.js';

export type { ReplayItem, ReplaySource } from './replay-types.js';
export type { ReplayOptions } from './kernel/ctx.js';

export interface ReplayOpenOptions extends ReplayOptions {
  /** compute the tcpdump-style summary of each frame (default true; the bench turns it off) */
  summaries?: boolean;
}

/** A problem with the inputs (not the capture's bytes): names the file, frame and problem. */
export class ReplayError extends Error {
  constructor(readonly file: string, readonly frame: number, readonly problem: string) {
    super(`${file}: frame ${frame}: ${problem}`);
    this.name = 'ReplayError';
  }
}

/** What netfilter said about the rule set when loading it (notes, rules it cannot evaluate). */
function ruleSetNotes(nf: NfHooks): string[] {
  const n = nf as Partial<{ notes: string[]; unsupported: string[] }>;
  return [...(n.notes ?? []), ...(n.unsupported ?? []).map((u) => `unsupported: ${u}`)];
}

/** Build the namespace for a host, netfilter from its rule files. */
export function createReplayNet(host: Host, opts: ReplayOptions): { net: Net; ref: { net: Net | null; ctx: FrameCtx | null } } {
  const ref: { net: Net | null; ctx: FrameCtx | null } = { net: null, ctx: null };
  const nf = createNfHooks(host, nfKernelOps(ref));
  const net = createNet(host, opts, nf);
  ref.net = net;
  return { net, ref };
}

export function openReplay(capturePath: string, host: Host, opts: ReplayOpenOptions): ReplaySource {
  const reader = openCapture(capturePath);
  return replaySource(reader, capturePath === '-' ? STDIN_NAME : capturePath, host, opts);
}

/** The same over an open reader (tests: captureFromBuffer). */
export function replaySource(reader: CaptureReader, title: string, host: Host, opts: ReplayOpenOptions): ReplaySource {
  // an --iface the host does not have is a usage error up front, even when every frame names its own
  if (opts.iface !== undefined && !host.byName.has(opts.iface)) {
    reader.close();
    throw new Error(`--iface "${opts.iface}": no such interface in the host snapshot ${host.dir} (has: ${host.devices.map((x) => x.name).join(', ')})`);
  }
  const { net, ref } = createReplayNet(host, opts);
  // --bpf declarations are checked up front (syntax, devices), not at the first frame that needs one
  try {
    bpfDecls(net);
  } catch (e) {
    reader.close();
    throw e;
  }
  const ctx = new FrameCtx();
  ctx.tracing = opts.events !== false;
  ref.ctx = ctx;
  const dec = new Decoded();
  const sumState = new SummaryState();
  const repDec = new Decoded();
  net.summarize = (bytes, len, raw) => {
    // a summary shows no checksum state: headers only (the model checks checksums itself)
    decodeFrame(bytes, len, raw ? LT_RAW : LT_EN10MB, repDec, len, false);
    return summarize(repDec, null, { absoluteSeq: true });
  };
  const wantSummary = opts.summaries !== false;
  // the replay's lines and rows show the device in a column of their own: not again in SLL2 summaries
  const sumOpts = { ifaceColumn: true };
  const skb = new SkBuff(new Uint8Array(0), 0);
  skb.inPlaceUndo = true;
  const ifaceCache = new Map<string, NetDevice>();

  // the device of the last frame's capture interface (every frame of it has the same one)
  // records wait here while a packet of theirs sits on an unresolved neighbour (replay-hold.ts)
  const held = new HoldQueue<Item>();
  let ended = false;
  let lastIface: Frame['iface'] | null = null;
  let lastDev: NetDevice | null = null;

  let nflogReplay: NflogReplay | null = null;
  let nfl: NflogFrame | null = null;

  function deviceFor(f: Frame): NetDevice {
    if (f.iface === lastIface && lastDev !== null) return lastDev;
    let name: string | null = null;
    // NFLOG: the logged input (or, for the host's own packets, output) device
    if (f.iface.linktype === LT_NFLOG && nfl !== null && nfl.dev !== null) return nfl.dev;
    if (f.iface.linktype === LT_LINUX_SLL2 && dec.ifindex > 0) {
      const d = host.byIndex.get(dec.ifindex);
      if (!d) throw new ReplayError(title, f.index, `SLL2 interface index ${dec.ifindex} is not in the host snapshot ${host.dir}`);
      return d;
    }
    // the capture's own interface name wins; --iface is for captures that do not say
    name = f.iface.name && f.iface.name !== 'any' ? f.iface.name : opts.iface ?? null;
    if (!name) {
      const cands = host.devices.filter((d) => d.kind !== 'loopback' && !d.flags.has('LOOPBACK'));
      if (cands.length === 1) return cands[0];
      throw new ReplayError(title, f.index, `the capture does not name the interface of this frame; pass --iface NAME (one of: ${cands.map((d) => d.name).join(', ')})`);
    }
    let d = ifaceCache.get(name);
    if (!d) {
      d = host.byName.get(name);
      if (!d) throw new ReplayError(title, f.index, `interface "${name}" is not in the host snapshot ${host.dir} (has: ${host.devices.map((x) => x.name).join(', ')})`);
      ifaceCache.set(name, d);
    }
    // SLL2 names the device per frame (its interface index)
    if (f.iface.linktype !== LT_LINUX_SLL2) {
      lastIface = f.iface;
      lastDev = d;
      // a classic pcap has one interface: every frame is on this device, so only its
      // transmissions can come back as captured outbound copies (xmit_copies.ts)
      if (reader.format === 'pcap' && f.iface.linktype !== LT_NFLOG) net.copies.onlyDev = d;
    }
    return d;
  }

  return {
    title,
    notes: ruleSetNotes(net.nf),
    totalBytes: reader.size,
    live: reader.stream === true,
    bytesRead: () => reader.bytesRead(),
    close: () => reader.close(),
    next(): ReplayItem | null {
      for (;;) {
        const ready = held.take(ended);
        if (ready || ended) return ready;
        const it = nextFrame();
        if (it) return it;
      }
    },
  };

  /** replay the next frame: its item, or null when it is held (or the capture ended) */
  function nextFrame(): Item | null {
      const f = reader.next();
      if (!f) {
        // the end of the capture: the neighbour timers run to their end (no answer comes any more)
        net.neigh.tick(Infinity, 0, ctx.tracing);
        ended = true;
        return null;
      }
      const lt = f.iface.linktype;
      // the model works on the reader's buffer itself, the frame at [f.offset, f.offset + caplen)
      // (sk_buff offsets are into the whole buffer): no per-frame view on the hot path
      const buf = f.buf;
      const start = f.offset;
      // the decoder is needed for the summary and for link types other than Ethernet
      if (wantSummary || lt !== LT_EN10MB) decodeFrame(new Uint8Array(buf.buffer, buf.byteOffset + start, f.caplen), f.caplen, lt, dec, f.len, false);
      if (lt === LT_NFLOG) nfl = (nflogReplay ??= new NflogReplay(host)).frame(new Uint8Array(buf.buffer, buf.byteOffset + start, f.caplen), f.caplen);
      const dev = deviceFor(f);
      ctx.reset(f.index);
      net.nowSec = f.tsSec;
      net.nowNsec = f.tsNsec;
      // neighbour timers due by this frame's time run first (probes, NUD_FAILED of queued packets)
      net.neigh.tick(f.tsSec * 1e9 + f.tsNsec, f.index, ctx.tracing);
      // one sk_buff reused per frame (nothing keeps it past the frame: fragments and state copy)
      skb.reset(buf, start, f.caplen, f.len);
      skb.frameNo = f.index;
      skb.tstampSec = f.tsSec;
      skb.tstampNsec = f.tsNsec;
      skb.dev = dev;
      skb.indev = dev;
      try {
        runFrame(net, skb, ctx, f, dec, dev, lt === LT_NFLOG ? nfl : null);
      } finally {
        // headers the model wrote in place get their captured bytes back (item.bytes shows the
        // frame as captured), before the reader may reuse its buffer
        skb.restore_captured();
      }
      const record: FateRecord = ctx.toRecord();
      net.copies.settle(record.fate);
      let summary = wantSummary ? summarize(dec, sumState, sumOpts) : '';
      // tcpdump prints a VXLAN frame's inner frame on a second line: one line here
      if (summary.includes('\n')) summary = summary.replace(/\n/g, ' ');
      return held.offer(new Item(f.index, f.tsSec, f.tsNsec, dev.name, summary, record, buf, start, f.caplen, lt, f.len), ctx.hold);
  }
}

/** A ReplayItem whose `bytes` view is made only when asked for (most consumers never look). */
class Item implements ReplayItem {
  private view: Uint8Array | null = null;
  constructor(
    readonly frame: number,
    readonly tsSec: number,
    readonly tsNsec: number,
    readonly iface: string,
    readonly summary: string,
    readonly record: FateRecord,
    private readonly buf: Uint8Array,
    private readonly start: number,
    private readonly caplen: number,
    readonly linktype: number,
    readonly wireLen: number,
  ) {}

  /** the captured bytes: valid until the next next() call, like the reader's buffer they view */
  get bytes(): Uint8Array {
    return (this.view ??= new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.start, this.caplen));
  }

  /** a held item keeps its own copy of the bytes (the reader reuses its buffer) */
  detach(): number {
    this.view = this.buf.slice(this.start, this.start + this.caplen);
    return this.caplen;
  }
}

/** Set up link-layer fields and send the frame in; returns true for a frame the host sent. */
function runFrame(net: Net, skb: SkBuff, ctx: FrameCtx, f: Frame, dec: Decoded, dev: NetDevice, nfl: NflogFrame | null = null): boolean {
  const lt = f.iface.linktype;
  let outbound = f.direction === DIR_OUTBOUND;
  switch (lt) {
    case LT_EN10MB: {
      if (f.caplen < 14) {
        ctx.drop('eth_type_trans', 'PKT_TOO_SMALL');
        return outbound;
      }
      const o = skb.start;
      eth_type_trans(skb, dev, o);
      // the source MAC of the interface it was captured on: the host sent it (another device's
      // MAC, e.g. a bridge's, arriving on a port is a frame from outside that happens to carry it)
      const m = dev.mac;
      const b = skb.data;
      if (!outbound && m && b[o + 6] === m[0] && b[o + 7] === m[1] && b[o + 8] === m[2] && b[o + 9] === m[3] && b[o + 10] === m[4] && b[o + 11] === m[5] && m.some((x) => x !== 0)) outbound = true;
      break;
    }
    case LT_LINUX_SLL:
    case LT_LINUX_SLL2:
      if (dec.network_header < 0) {
        ctx.drop('netif_receive_skb', 'PKT_TOO_SMALL');
        return outbound;
      }
      // the decoder's offsets are from the frame's first byte
      skb.network_header = skb.start + dec.network_header;
      skb.protocol = dec.protocol;
      skb.pkt_type = dec.pktType >= 0 ? dec.pktType : PACKET_HOST;
      if (skb.pkt_type === PACKET_OUTGOING) outbound = true;
      break;
    case LT_RAW:
    case LT_RAW_BSD12:
    case LT_RAW_BSD14:
    case LT_IPV4:
    case LT_IPV6:
    case LT_NULL:
    case LT_LOOP:
      if (dec.network_header < 0 || !dec.ipVersion) {
        ctx.unsupported.push(`link type ${f.iface.linktypeName}: frame without an IP header`);
        ctx.drop('netif_receive_skb', 'UNHANDLED_PROTO');
        return outbound;
      }
      skb.network_header = skb.start + dec.network_header;
      skb.protocol = dec.ipVersion === 4 ? 0x0800 : 0x86dd;
      skb.pkt_type = PACKET_HOST;
      break;
    case LT_NFLOG:
      // the packet a log rule saw (replay-nflog.ts): replayed on the logged device
      if (ctx.tracing && nfl !== null) ctx.ev('nfulnl_log_packet', nfl.what);
      if (dec.network_header < 0 || !dec.ipVersion) {
        ctx.unsupported.push(`NFLOG record without an IPv4/IPv6 packet${dec.problem ? `: ${dec.problem}` : ''}`);
        ctx.drop('netif_receive_skb', 'UNHANDLED_PROTO');
        return outbound;
      }
      if (nfl !== null && nfl.outbound) outbound = true;
      if (nfl !== null && nfl.info.hook === 1) {
        if (ctx.tracing) ctx.ev('nfulnl_log_packet', 'logged at input: replayed from its ingress, as the input hook saw it (after any prerouting DNAT or reassembly)');
      } else if (nfl !== null && nfl.info.hook !== undefined && nfl.info.hook !== 0 && nfl.info.hook !== 3) {
        // logged after PREROUTING (input, forward, postrouting): the packet as that hook saw it
        // (after any DNAT, defragmentation, TTL decrement) goes through the path again from the start
        ctx.unsupported.push(`NFLOG logged at hook ${nfl.info.hook === 2 ? 'forward' : 'postrouting'}: the logged packet is replayed from ${outbound ? 'the output path' : 'its ingress'}, so the hooks before the log rule see it a second time (as already changed by them)`);
      }
      skb.network_header = skb.start + dec.network_header;
      skb.protocol = dec.ipVersion === 4 ? 0x0800 : 0x86dd;
      skb.pkt_type = PACKET_HOST;
      break;
    default:
      ctx.unsupported.push(`link type ${f.iface.linktypeName} not modelled`);
      ctx.drop('netif_receive_skb', 'UNHANDLED_PROTO');
      return outbound;
  }
  // checksum trust: CHECKSUM_UNNECESSARY as a NIC would set it, CHECKSUM_PARTIAL for offloaded sends
  const mode = net.opts.checksums;
  if (mode === 'trust') skb.ip_summed = CHECKSUM_UNNECESSARY;
  else if (mode === 'auto' && outbound) skb.ip_summed = CHECKSUM_PARTIAL;
  else if (mode === 'auto' && checksumLeftToNic(skb)) skb.ip_summed = CHECKSUM_PARTIAL; // a veth peer's offloaded send
  else if (mode === 'auto' && skb.network_header >= 0 && skb.wireEnd - skb.network_header > dev.mtu + (skb.protocol === 0x8100 ? 4 : 0)) skb.ip_summed = CHECKSUM_UNNECESSARY; // GRO output
  else skb.ip_summed = CHECKSUM_NONE;
  if (outbound) {
    outbound_captured(net, skb, ctx, dev);
    return true;
  }
  netif_receive_skb(net, skb, ctx);
  return false;
}

/**
 * A frame captured leaving `dev`. The outbound copy of a frame the model forwarded or bridged
 * (tcpdump -i any sees it come in and leave) takes that frame's fate; otherwise the host sent it
 * (local output path), unless its source address cannot be the host's: then the kernel forwarded
 * something the model did not (or whose way in the capture does not show), and the record says so.
 */
function outbound_captured(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice): void {
  const nh = skb.network_header;
  const m = nh >= 0 && nh < skb.tail ? net.copies.match(dev, skb.protocol, skb.data, nh, skb.tail, skb.wireEnd - nh, net.nowSec + net.nowNsec / 1e9) : null;
  if (m) {
    ctx.tracing && ctx.ev('dev_queue_xmit_nit', `copy of frame ${m.frame} (${m.fate}) leaving ${dev.name}: the model's egress bytes for it`, { dev: dev.name });
    ctx.copy(m.frame, m.fate, dev.name);
    return;
  }
  const foreign = foreignSource(net, skb);
  if (foreign) {
    ctx.tracing && ctx.ev('dev_queue_xmit_nit', `leaving ${dev.name} from ${foreign}, not an address of this host, and no frame the model forwarded has these bytes`, { dev: dev.name });
    ctx.unsupported.push(`outbound on ${dev.name} from ${foreign} (not this host's): matches no frame the model forwarded; the kernel forwarded it (its way in is not in the capture, or the model disagrees)`);
    ctx.forward(dev.name);
    return;
  }
  ctx.localOut = true;
  local_out_captured(net, skb, ctx, dev);
}

/** the source address of an IP frame when it is not one the host could send from, else null */
function foreignSource(net: Net, skb: SkBuff): string | null {
  const b = skb.data;
  const nh = skb.network_header;
  if (skb.protocol === 0x0800 && skb.tail - nh >= 20) {
    const s = ipv4Saddr(b, nh);
    if (s === 0 || net.local4.has(s) || s >>> 24 === 127) return null;
    return `${s >>> 24}.${(s >>> 16) & 255}.${(s >>> 8) & 255}.${s & 255}`;
  }
  if (skb.protocol === 0x86dd && skb.tail - nh >= 40) {
    let any = true;
    for (let i = 8; i < 24; i++) if (b[nh + i] !== 0) any = false;
    if (any || net.isLocal6(b, nh + 8)) return null;
    return ipv6ToString(b, nh + 8);
  }
  return null;
}

/** Library API: replay a capture file against a host snapshot (directory or NAME.tar.gz, as --host), or a loaded Host. */
export function* replay(capturePath: string, host: string | Host, opts: Partial<ReplayOpenOptions> = {}): Generator<ReplayItem> {
  const h = typeof host === 'string' ? loadHostArg(host) : host;
  const src = openReplay(capturePath, h, { checksums: 'auto', ...opts });
  try {
    for (let it = src.next(); it; it = src.next()) yield it;
  } finally {
    src.close();
  }
}
