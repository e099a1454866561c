// Which of n workers holds a frame (--jobs): a symmetric hash of the outermost IP address pair,
// as RSS keeps a conversation on one CPU; frames without an IP header go to worker 0.
import type { Decoded } from '../packet/decode.js';

export function flowOwner(d: Decoded, n: number): number {
  if (n === 1 || d.srcOff < 0 || d.dstOff < 0 || (d.ipVersion !== 4 && d.ipVersion !== 6)) return 0;
  const b = d.data;
  const len = d.ipVersion === 4 ? 4 : 16;
  let hs = 0x811c9dc5, hd = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    hs = Math.imul(hs ^ b[d.srcOff + i]!, 0x01000193);
    hd = Math.imul(hd ^ b[d.dstOff + i]!, 0x01000193);
  }
  // the same for both directions: combined without order
  const h = Math.imul((hs ^ hd) >>> 0, 0x9e3779b1) >>> 0;
  return (h >>> 16) % n;
}
