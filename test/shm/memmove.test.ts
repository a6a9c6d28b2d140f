/**
 * The addon's memmove, copyIn and copyOut: libc's memmove on a SharedArrayBuffer (a mapped
 * segment or a plain one) and a JS typed array, with checked ranges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../src/shm/native.js';

test('memmove inside a SharedArrayBuffer: overlapping both ways, misaligned, any length', () => {
  const sab = new SharedArrayBuffer(10000);
  const u8 = new Uint8Array(sab);
  const model = Buffer.alloc(10000);
  for (let i = 0; i < 10000; i++) model[i] = u8[i] = (i * 7 + 3) & 0xff;
  const cases: [number, number, number][] = [
    [5, 0, 4096],
    [0, 5, 4096],
    [1001, 3000, 777],
    [3000, 1001, 777],
    [9999, 0, 1],
    [0, 0, 10000],
    [123, 456, 0],
  ];
  for (const [dst, src, len] of cases) {
    native.memmove(sab, dst, src, len);
    model.copyWithin(dst, src, src + len);
    assert.ok(Buffer.from(u8).equals(model), `${src} -> ${dst}, ${len} bytes`);
  }
});

test('copyIn / copyOut between a SharedArrayBuffer and typed arrays (views with offsets)', () => {
  const sab = new SharedArrayBuffer(4096);
  const u8 = new Uint8Array(sab);
  const src = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 13) & 0xff));
  const view = new Uint8Array(src.buffer, src.byteOffset + 10, 200);
  native.copyIn(sab, 1001, view, 5, 150);
  assert.ok(Buffer.from(u8.subarray(1001, 1151)).equals(src.subarray(15, 165)));
  const out = new Uint8Array(500);
  native.copyOut(sab, 1001, out, 77, 150);
  assert.ok(Buffer.from(out.subarray(77, 227)).equals(src.subarray(15, 165)));
  // a view of the buffer itself as the other side (overlapping)
  native.copyIn(sab, 1003, u8.subarray(1001, 1151), 0, 150);
  assert.ok(Buffer.from(u8.subarray(1003, 1153)).equals(src.subarray(15, 165)));
});

test('ranges outside either buffer are refused (EINVAL), nothing copied', () => {
  const sab = new SharedArrayBuffer(100);
  const u8 = new Uint8Array(sab).fill(9);
  const arr = new Uint8Array(100);
  const bad: [string, () => void][] = [
    ['memmove dst', () => native.memmove(sab, 50, 0, 51)],
    ['memmove src', () => native.memmove(sab, 0, 60, 41)],
    ['memmove negative', () => native.memmove(sab, -1, 0, 1)],
    ['copyIn sab', () => native.copyIn(sab, 90, arr, 0, 11)],
    ['copyIn view', () => native.copyIn(sab, 0, arr, 95, 6)],
    ['copyOut view', () => native.copyOut(sab, 0, arr, 0, 101)],
    ['not shared', () => native.memmove(new ArrayBuffer(10) as unknown as SharedArrayBuffer, 0, 1, 1)],
    ['not a view', () => native.copyOut(sab, 0, [] as unknown as Uint8Array, 0, 1)],
  ];
  for (const [what, f] of bad) assert.throws(f, (e: NodeJS.ErrnoException) => e.code === 'EINVAL', what);
  assert.ok(u8.every((b) => b === 9));
});
