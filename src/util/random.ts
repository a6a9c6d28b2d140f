import fs from 'node:fs';

/**
 * Random bytes from the kernel. node:crypto would do, but loading it costs ~8 ms of a
 * server start that is otherwise ~20 ms of our own, and these ids need no more than this.
 */
export function randomBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    let got = 0;
    while (got < n) got += fs.readSync(fd, out, got, n - got, null);
  } finally {
    fs.closeSync(fd);
  }
  return out;
}
