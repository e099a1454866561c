// Replaying an NFLOG capture (`tcpdump -i nflog:N`): each record is a packet a log rule saw.
// The logged interfaces say where it came from: NFULA_IFINDEX_INDEV is its ingress (replayed
// from that device's receive path); a packet with only an output device was the host's own
// (replayed from the local output path). The journey starts with the log message itself and
// the snapshot's rules carrying its prefix (nft `log prefix "..." group N`, iptables
// `-j NFLOG --nflog-prefix ...`), found by their text in the snapshot's rule files.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Host, NetDevice } from './host/types.js';
import { nflogInfo, NF_HOOK_NAMES, type NflogInfo } from './packet/nflog.js';

export interface NflogFrame {
  info: NflogInfo;
  /** the device the packet is replayed on, null when the snapshot has neither logged device */
  dev: NetDevice | null;
  /** true: only an output device was logged (a packet the host sent) */
  outbound: boolean;
  /** the timeline's first event */
  what: string;
}

export class NflogReplay {
  private rules = new Map<string, string[]>();
  private files: { name: string; lines: string[] }[] | null = null;

  constructor(private readonly host: Host) {}

  /** "nft.txt:12: log prefix ..." for every snapshot rule logging with this prefix */
  rulesFor(prefix: string, group: number): string[] {
    const key = `${group}\u0000${prefix}`;
    let r = this.rules.get(key);
    if (r !== undefined) return r;
    this.files ??= ['nft.txt', 'iptables.rules', 'ip6tables.rules'].flatMap((name) => {
      const p = path.join(this.host.dir, name);
      return fs.existsSync(p) ? [{ name, lines: fs.readFileSync(p, 'utf8').split('\n') }] : [];
    });
    r = [];
    const q = JSON.stringify(prefix);
    for (const f of this.files) {
      f.lines.forEach((l, i) => {
        const nft = f.name === 'nft.txt' && l.includes(`log prefix ${q}`) && (l.includes(`group ${group}`) || !/\bgroup \d+/.test(l));
        const ipt = f.name !== 'nft.txt' && /-j NFLOG\b/.test(l) && (l.includes(`--nflog-prefix ${q}`) || l.includes(`--nflog-prefix ${prefix} `) || l.endsWith(`--nflog-prefix ${prefix}`))
          && (group === 0 ? !l.includes('--nflog-group') || l.includes('--nflog-group 0') : l.includes(`--nflog-group ${group}`));
        if (nft || ipt) r!.push(`${path.join(this.host.dir, f.name)}:${i + 1}: ${l.trim()}`);
      });
    }
    this.rules.set(key, r);
    return r;
  }

  frame(b: Uint8Array, caplen: number): NflogFrame | null {
    const info = nflogInfo(b, caplen);
    if (info === null) return null;
    const byIdx = (i: number | undefined): NetDevice | null => (i === undefined ? null : this.host.byIndex.get(i) ?? null);
    const indev = byIdx(info.indev), outdev = byIdx(info.outdev);
    const outbound = info.indev === undefined && info.outdev !== undefined;
    const dev = outbound ? outdev : indev;
    const hook = info.hook === undefined ? '?' : NF_HOOK_NAMES[info.hook] ?? String(info.hook);
    let what = `group ${info.group}${info.prefix !== undefined ? ` prefix ${JSON.stringify(info.prefix)}` : ''} hook ${hook}`;
    if (info.indev !== undefined) what += ` in ${indev?.name ?? `ifindex ${info.indev} (not in the snapshot)`}`;
    if (info.outdev !== undefined) what += ` out ${outdev?.name ?? `ifindex ${info.outdev} (not in the snapshot)`}`;
    if (info.mark !== undefined) what += ` mark 0x${info.mark.toString(16)}`;
    if (info.prefix !== undefined) {
      const rules = this.rulesFor(info.prefix, info.group);
      what += rules.length ? `; logged by ${rules.join('; ')}` : '; no rule of the snapshot logs with this prefix';
    }
    return { info, dev, outbound, what };
  }
}
