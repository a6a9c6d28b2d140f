/**
 * Blocking commands in a library process (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, and the
 * sorted-set ones: BZPOPMIN, BZPOPMAX, BZMPOP). The engine never waits for a library caller: the
 * command answers null at once when nothing is there. Waiting is done here, around it, on
 * the segment's key-ready futex word (src/keyspace/keyspace.ts readyWord): count this
 * process as a waiter, read the word, try the command, and sleep while the word has not
 * changed — every process that adds or changes a key bumps it and wakes the sleepers while
 * anyone waits, so a push by the server or by any other process wakes this one, and a push
 * that lands between the try and the sleep changes the word first (no lost wake-up).
 */
import { futexWait, futexWaitAsync } from '../shm/futex.js';
import { parseTimeout } from '../commands/blocking.js';
import type { Keyspace } from '../keyspace/keyspace.js';

/** Where a blocking command has its timeout: BLMPOP/BZMPOP first, the others last. */
export function timeoutIndex(argv: readonly Buffer[]): number {
  const name = argv[0]!.toString('latin1').toLowerCase();
  return name === 'blmpop' || name === 'bzmpop' ? 1 : argv.length - 1;
}

function deadlineOf(argv: readonly Buffer[]): number {
  const i = timeoutIndex(argv);
  // (a timeout the command refuses is reported by the first try, before any wait)
  try {
    return argv.length > i && i > 0 ? parseTimeout(argv[i]!) : 0;
  } catch {
    return 0;
  }
}

/** Try `attempt` until it gives a non-null reply or the command's timeout passes; this thread sleeps in between. */
export function waitSync<R>(ks: Keyspace, argv: readonly Buffer[], attempt: () => R | null): R | null {
  const deadline = deadlineOf(argv);
  const { i32, index } = ks.readyWord();
  ks.keyWaiter(1);
  try {
    for (;;) {
      const word = Atomics.load(i32, index);
      const r = attempt();
      if (r !== null) return r;
      let wait = -1;
      if (deadline !== 0) {
        wait = deadline - Date.now();
        if (wait <= 0) return null;
      }
      futexWait(i32, index, word, wait);
    }
  } finally {
    ks.keyWaiter(-1);
  }
}

/** waitSync with the sleep on a worker thread: the event loop keeps running. */
export async function waitAsync<R>(ks: Keyspace, argv: readonly Buffer[], attempt: () => R | null): Promise<R | null> {
  const deadline = deadlineOf(argv);
  const { i32, index } = ks.readyWord();
  ks.keyWaiter(1);
  try {
    for (;;) {
      const word = Atomics.load(i32, index);
      const r = attempt();
      if (r !== null) return r;
      let wait = -1;
      if (deadline !== 0) {
        wait = deadline - Date.now();
        if (wait <= 0) return null;
      }
      await futexWaitAsync(i32, index, word, wait);
    }
  } finally {
    ks.keyWaiter(-1);
  }
}
