import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEADER_SIZE, PAGE_SIZE, createPosixSegment, listSegments, removeSegment } from '../../src/shm/index.js';
import { uniqueName } from './helpers.js';

const isRoot = process.getuid?.() === 0;
let dir = '';
let mounted = false;
let skipWhy: string | false = false;

if (!isRoot) {
  skipWhy = 'needs root to mount a small tmpfs';
  console.error('\n!!! SKIPPING the full-tmpfs (ENOSPC) tests: not running as root, cannot mount a small tmpfs !!!\n');
}

before(() => {
  if (!isRoot) return;
  dir = mkdtempSync(join(tmpdir(), 'shmkv-enospc-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    console.error(`\n!!! SKIPPING the full-tmpfs (ENOSPC) tests: mount failed: ${(e as Error).message} !!!\n`);
  }
});

after(() => {
  if (mounted) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
  }
  if (dir !== '') rmdirSync(dir);
});

describe('a full tmpfs', { skip: skipWhy }, () => {
  it('grow past the free space is ENOSPC; the segment stays usable and never SIGBUSes', (t) => {
    if (!mounted) return t.skip('tmpfs not mounted');
    const name = uniqueName('posix', dir);
    const s = createPosixSegment(name, { dir, exclusive: true, initialSize: 2 ** 20, reserve: 64 * 2 ** 20 });
    try {
      let failed: { code?: string; message?: string } | undefined;
      for (let size = 2 * 2 ** 20; size <= 32 * 2 ** 20; size += 2 ** 20) {
        try {
          s.grow(size);
        } catch (e) {
          failed = e as { code?: string; message?: string };
          break;
        }
      }
      assert.ok(failed, 'grow never failed on an 8 MiB tmpfs');
      assert.equal(failed.code, 'ENOSPC');
      assert.match(failed.message ?? '', /no room in .* to grow segment .*the segment is unchanged and usable/);
      const committed = s.committed();
      assert.ok(committed <= 8 * 2 ** 20 && committed >= 4 * 2 ** 20, `committed ${committed}`);
      // Touch every committed page: all are backed, so no SIGBUS.
      const u8 = new Uint8Array(s.sab, 0, committed);
      for (let off = HEADER_SIZE; off < committed; off += PAGE_SIZE) u8[off] = 1;
      assert.equal(s.lock(), false);
      s.unlock();
      // A punched page cannot be backed again while the tmpfs is full... after freeing one it can.
      s.punch(committed - PAGE_SIZE, PAGE_SIZE);
      s.reserve(committed - PAGE_SIZE, PAGE_SIZE);
      u8[committed - PAGE_SIZE] = 2;
      assert.equal(listSegments({ dir, kind: 'posix' }).find((x) => x.name === name)?.size, committed);
    } finally {
      s.detach();
      removeSegment(name, { dir, force: true });
    }
  });

  it('creating a segment larger than the tmpfs is ENOSPC and leaves nothing behind', (t) => {
    if (!mounted) return t.skip('tmpfs not mounted');
    const name = uniqueName('posix', dir);
    assert.throws(
      () => createPosixSegment(name, { dir, initialSize: 16 * 2 ** 20 }),
      (e: { code?: string }) => e.code === 'ENOSPC',
    );
    assert.equal(listSegments({ dir, kind: 'posix' }).length, 0);
  });
});
