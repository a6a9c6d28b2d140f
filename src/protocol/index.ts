export { RequestParser, DEFAULT_MAX_BULK_LEN, splitArgs } from './parser.js';
export type { RequestParserOptions } from './parser.js';
export { ReplyWriter, R } from './reply.js';
export { parseRedisInt, str2ll } from './numbers.js';
export {
  formatDouble,
  formatLongDouble,
  parseRedisDouble,
  parseRedisLongDouble,
  addLongDouble,
  incrByFloat,
  LongDouble,
} from './float.js';
export type { IncrByFloatResult } from './float.js';
