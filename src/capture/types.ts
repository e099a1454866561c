// What the capture layer hands to everything else. The reader reuses one Frame object per
// call to next(): `data` is a view into the read buffer, valid until the next call. Keep a frame
// beyond that only by copying what you need (the kernel model copies on first write).

/** pcapng epb_flags direction bits (or SLL packet type mapped to it) */
export const DIR_UNKNOWN = 0;
export const DIR_INBOUND = 1;
export const DIR_OUTBOUND = 2;

export interface CaptureInterface {
  /** section-local interface id (pcapng IDB index); 0 for pcap */
  id: number;
  /** 1-based pcapng section number; 1 for pcap */
  section: number;
  /** if_name, or null */
  name: string | null;
  description: string | null;
  /** LINKTYPE_* number (low 16 bits) */
  linktype: number;
  /** libpcap name: EN10MB, LINUX_SLL, ... or "LINKTYPE_<n>" */
  linktypeName: string;
  snaplen: number;
  /** if_tsresol raw byte (6 when absent) */
  tsresol: number;
  /** if_tsoffset seconds */
  tsoffset: number;
  /** FCS length from if_fcslen or the pcap link-type FCS bits, when known */
  fcslen: number | null;
}

export interface Frame {
  /** 1-based record number in the file */
  index: number;
  iface: CaptureInterface;
  /** timestamp as seconds + nanoseconds since the epoch (null for SPB: no timestamp) */
  tsSec: number;
  tsNsec: number;
  hasTs: boolean;
  /** captured bytes: a view into the read buffer (made on first access; valid until next()) */
  data: Uint8Array;
  /** the read buffer itself and the frame's offset in it: data === buf.subarray(offset, offset + caplen).
   *  Hot paths that take (buf, offset) avoid allocating the view (~90 ns per frame). */
  buf: Uint8Array;
  offset: number;
  caplen: number;
  /** original length on the wire */
  len: number;
  /** DIR_* from epb_flags (or SLL/SLL2 packet type when the decoder sets it) */
  direction: number;
  /** raw epb_flags (0 when absent) */
  flags: number;
  /** opt_comment values joined by "\n", or null */
  comment: string | null;
  /** block type it came from: 'pcap' | 'epb' | 'spb' | 'opb' */
  block: string;
}
