// pktlife as a library: replay a capture against a host snapshot, one fate record per frame.
//
//   import { replay, loadHost } from 'pktlife';
//   for (const it of replay('x.pcapng', 'host-dir', { checksums: 'auto' })) console.log(it.record.fate);

export { replay, openReplay, replaySource, createReplayNet, ReplayError } from './replay.js';
export type { ReplayOpenOptions } from './replay.js';
// loadHostArg: a snapshot directory or NAME.tar.gz, as --host reads it (refused without ip-link.json)
export { loadHost, loadHostArg, loadHostFromFiles } from './host/load.js';
export { fateToJSON } from './kernel/fate.js';
export { createNet, Net } from './kernel/net.js';
export type { FateRecord, FateKind, Reply, Verdict, TimelineEvent } from './kernel/fate.js';
export type { ReplayItem, ReplaySource } from './replay-types.js';
export type { ReplayOptions, ChecksumMode } from './kernel/ctx.js';
export type { Host, NetDevice, Route, Rule, SocketEntry } from './host/types.js';
export type { Frame, CaptureInterface } from './capture/types.js';
