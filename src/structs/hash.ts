/**
 * 32-bit hash of a byte range (FNV-1a with a murmur3 finaliser, so the top bits the
 * directory uses are as well mixed as the low bits the slots use).
 */
export function hashBytes(buf: Uint8Array, start: number, len: number): number {
  let h = 0x811c9dc5 ^ len;
  const end = start + len;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ buf[i]!, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
