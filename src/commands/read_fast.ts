/**
 * `readFast` handlers (src/keyspace/peek.ts) for commands answered from a key's entry
 * header alone: its type, its length field, its expiry. TYPE, TTL and the collection
 * lengths then run without the lock in every process, as GET does.
 */
import type { CommandContext } from './types.js';

/**
 * A readFast handler for a one-key command: `answer` replies from entry e (0: no such key).
 * `type`: the OBJ_* the key must hold, -1 for any (another type goes to the handler, which
 * replies WRONGTYPE); `touch`: whether the read counts as an access (false for Redis's
 * LOOKUP_NOTOUCH commands: TYPE, TTL…).
 */
export function headerReadFast(type: number, touch: boolean, answer: (ctx: CommandContext, e: number) => void): (ctx: CommandContext, argv: Buffer[]) => boolean {
  return (ctx, argv) => {
    const k = ctx.ks;
    const peek = k.peek;
    const e = peek.entry(ctx.session.db, argv[1]!);
    if (e < 0) return false;
    if (e !== 0 && type >= 0 && k.type(e) !== type) return false;
    const reply = ctx.reply;
    const mark = reply.length;
    answer(ctx, e);
    if (peek.end(touch)) return true;
    reply.truncate(mark);
    return false;
  };
}

/** The length field of entry e (string bytes, collection elements), 0 for no key. */
export function replyLength(ctx: CommandContext, e: number): void {
  ctx.reply.integer(e === 0 ? 0 : ctx.ks.valueLength(e));
}
