// skb_ensure_writable(write_len): the captured bytes are shared with the caller (item.bytes), so a
// write either happens in place with the original span saved and put back by restore_captured()
// (when the owner allowed it), or in a private copy. Either way the caller's bytes end as captured.
import { describe, it, expect } from 'vitest';
import { SkBuff } from '../../src/kernel/skbuff.js';

function frame(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
}

describe('skb_ensure_writable', () => {
  it('copies the whole frame when in-place writes are not allowed (the default)', () => {
    const cap = frame(200);
    const orig = cap.slice();
    const skb = new SkBuff(cap, cap.length);
    skb.reset(cap, 0, cap.length);
    skb.skb_ensure_writable(20);
    expect(skb.data).not.toBe(cap);
    expect(skb.writable).toBe(true);
    skb.data[5] = 0xee;
    expect(cap).toEqual(orig);
    expect(skb.data[5]).toBe(0xee);
    expect(Array.from(skb.data.subarray(6, skb.tail))).toEqual(Array.from(orig.subarray(6)));
  });

  it('writes a header span in place and restore_captured puts the captured bytes back', () => {
    const cap = frame(300);
    const orig = cap.slice();
    const skb = new SkBuff(cap, cap.length);
    skb.inPlaceUndo = true;
    skb.reset(cap, 0, cap.length);
    skb.skb_ensure_writable(26);
    expect(skb.data).toBe(cap);
    for (let i = 0; i < 26; i++) skb.data[i] = 0;
    skb.skb_ensure_writable(14); // within the saved span
    skb.skb_ensure_writable(40); // extends it: bytes 26..39 saved before they change
    for (let i = 26; i < 40; i++) skb.data[i] = 1;
    expect(cap[30]).toBe(1);
    skb.restore_captured();
    expect(cap).toEqual(orig);
  });

  it('moves to a copy that keeps the in-place writes when a longer span is asked for, and restores the captured bytes', () => {
    const cap = frame(400);
    const orig = cap.slice();
    const skb = new SkBuff(cap, cap.length);
    skb.inPlaceUndo = true;
    skb.reset(cap, 0, cap.length);
    skb.skb_ensure_writable(20);
    skb.data[10] = 0xaa;
    skb.skb_ensure_writable(); // the whole frame (e.g. NAT of a port)
    expect(skb.data).not.toBe(cap);
    expect(cap).toEqual(orig);
    expect(skb.data[10]).toBe(0xaa);
    skb.data[300] = 0xbb;
    expect(cap[300]).toBe(orig[300]);
    skb.restore_captured(); // nothing left to restore
    expect(cap).toEqual(orig);
  });

  it('forgets an unrestored span on reset instead of writing it back late (the buffer may hold other bytes by then)', () => {
    const buf = frame(300);
    const a = buf.subarray(0, 100);
    const skb = new SkBuff(a, a.length);
    skb.inPlaceUndo = true;
    skb.reset(a, 0, a.length);
    skb.skb_ensure_writable(30);
    a[0] = 0x55;
    // the owner reuses its buffer for the next frame (as the capture reader compacts), then resets
    buf.copyWithin(0, 100, 200);
    const moved = buf.slice();
    skb.reset(buf.subarray(0, 100), 0, 100);
    skb.restore_captured();
    expect(buf).toEqual(moved);
  });

  it('works on a frame in the middle of a larger buffer at the same offsets (the replay hands over the reader\'s buffer)', () => {
    const buf = frame(1000);
    const orig = buf.slice();
    const skb = new SkBuff(new Uint8Array(0), 0);
    skb.inPlaceUndo = true;
    skb.reset(buf, 300, 200, 260);
    expect(skb.start).toBe(300);
    expect(skb.tail).toBe(500);
    expect(skb.wireEnd).toBe(560);
    // a header span in place: only the frame's bytes are saved and restored
    skb.skb_ensure_writable(300 + 26);
    expect(skb.data).toBe(buf);
    for (let i = 300; i < 326; i++) skb.data[i] = 0;
    skb.restore_captured();
    expect(buf).toEqual(orig);
    // a whole-frame copy keeps the offsets and leaves the bytes around the frame alone
    skb.reset(buf, 300, 200);
    skb.skb_ensure_writable(310);
    skb.data[305] = 0x77;
    skb.skb_ensure_writable();
    expect(skb.data).not.toBe(buf);
    expect(skb.data[305]).toBe(0x77);
    expect(Array.from(skb.data.subarray(306, 500))).toEqual(Array.from(orig.subarray(306, 500)));
    skb.data[499] = 0x11;
    expect(buf).toEqual(orig);
  });

  it('puts a saved span back where it was taken even after a stage moved the frame to a new buffer (a link header added in front)', () => {
    const buf = frame(1000);
    const orig = buf.slice();
    const skb = new SkBuff(new Uint8Array(0), 0);
    skb.inPlaceUndo = true;
    // a raw-IP frame at 400: the TTL is written in place, then writeEthHeader finds no room for an
    // Ethernet header before `start` and moves the frame to a buffer of its own (start 0)
    skb.reset(buf, 400, 100);
    skb.skb_ensure_writable(400 + 12);
    buf[408] = 0x3f;
    const moved = new Uint8Array(14 + 100);
    moved.set(buf.subarray(400, 500), 14);
    skb.data = moved;
    skb.start = 0;
    skb.tail = moved.length;
    skb.restore_captured();
    expect(buf).toEqual(orig);
  });
});
