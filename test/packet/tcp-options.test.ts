// tcpFindOption walks the TCP options as tcp_parse_options does (EOL ends, NOP is one byte, a length
// below 2 ends the walk) and stops at the data offset or the captured end.
import { describe, it, expect } from 'vitest';
import { tcpFindOption, TCPOPT_MSS, TCPOPT_SACK_PERM, TCPOPT_TIMESTAMP, TCPOPT_WINDOW } from '../../src/packet/tcp.js';

/** a 20-byte TCP header at offset 4 of a buffer, with `opts` after it (data offset covers them) */
function hdr(opts: number[]): Uint8Array {
  const b = new Uint8Array(4 + 20 + opts.length);
  b[4 + 12] = ((20 + opts.length) / 4) << 4;
  b.set(opts, 24);
  return b;
}

describe('tcpFindOption', () => {
  // mss 1460, sackOK, TS val/ecr, nop, wscale 7 (a Linux SYN)
  const syn = hdr([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
  it('finds each option after NOPs and other options', () => {
    expect(tcpFindOption(syn, 4, syn.length, TCPOPT_MSS)).toBe(24);
    expect(tcpFindOption(syn, 4, syn.length, TCPOPT_SACK_PERM)).toBe(28);
    expect(tcpFindOption(syn, 4, syn.length, TCPOPT_TIMESTAMP)).toBe(30);
    expect(tcpFindOption(syn, 4, syn.length, TCPOPT_WINDOW)).toBe(41);
  });
  it('stops at EOL, at a length below 2, at the captured end and at the data offset', () => {
    expect(tcpFindOption(hdr([0, 0, 8, 10]), 4, 28, TCPOPT_TIMESTAMP)).toBe(-1);
    expect(tcpFindOption(hdr([2, 1, 8, 10]), 4, 28, TCPOPT_TIMESTAMP)).toBe(-1);
    expect(tcpFindOption(syn, 4, 30, TCPOPT_TIMESTAMP)).toBe(-1);
    const short = hdr([2, 4, 5, 0xb4, 8, 10, 0, 0]);
    short[4 + 12] = 6 << 4; // data offset 24: the TS option lies in the payload
    expect(tcpFindOption(short, 4, short.length, TCPOPT_TIMESTAMP)).toBe(-1);
    expect(tcpFindOption(hdr([]), 4, 24, TCPOPT_MSS)).toBe(-1);
  });
});
