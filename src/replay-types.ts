// Contract between the replay engine (src/replay.ts) and its consumers (CLI formats, UI, golden tests).
import type { FateRecord } from './kernel/fate.js';

export interface ReplayItem {
  /** 1-based frame number */
  frame: number;
  tsSec: number;
  tsNsec: number;
  /** ingress (or egress, for outbound frames) interface name */
  iface: string | null;
  /** tcpdump -nn style one-line summary of the frame as captured */
  summary: string;
  record: FateRecord;
  /** optional: the captured bytes (a view, valid until the next next() call; consumers copy what
   * they keep) and their LINKTYPE_*, so the UI can show decoded headers */
  bytes?: Uint8Array;
  linktype?: number;
  /** with bytes: the frame's length on the wire (decodeFrame's wireLen) */
  wireLen?: number;
}

/** Pull-based, so a consumer (the UI) can replay in slices between redraws. */
export interface ReplaySource {
  /** capture path or label */
  title: string;
  /** capture size in bytes, for progress (0 when unknown) */
  totalBytes: number;
  /** frames arrive as they are captured (stdin, a pipe): consumers show each one at once */
  live?: boolean;
  bytesRead(): number;
  /** said once about the inputs: how the rule set was loaded, rules the model does not evaluate */
  notes?: string[];
  /** next frame's fate, or null at the end; throws CaptureError after the last good frame of a damaged file */
  next(): ReplayItem | null;
  close(): void;
}
