/**
 * DUMP / RESTORE payloads (cluster.c createDumpPayload / verifyDumpPayload):
 *
 *   type byte | value body | RDB version, u16 LE | CRC-64 of all before it, u64 LE
 *
 * The errors carry Redis's reply texts (without the "ERR " prefix the reply adds):
 *   "DUMP payload version or checksum are wrong"   shorter than 10 bytes, a version newer
 *                                                  than ours (10), or a CRC mismatch
 *   "Bad data format"                              the body does not parse, is an empty
 *                                                  collection, or has bytes after it
 * with the reason in `cause`. A value shmkv cannot hold (a stream, a module value) gets
 * its own message instead of "Bad data format", which would wrongly suggest corruption.
 */

import { BufferSource, RdbDecoder } from './decode.js';
import { RdbEncoder } from './encode.js';
import { crc64Bytes } from './crc64.js';
import { RDB_VERSION, isRdbValueType } from './format.js';
import { RdbUnsupportedError, readValue, writeTypedValue } from './values.js';
import { RdbError, type RdbValue } from './value.js';

export const DUMP_VERSION_OR_CHECKSUM_WRONG = 'DUMP payload version or checksum are wrong';
export const DUMP_BAD_DATA_FORMAT = 'Bad data format';

const FOOTER = 10;

/**
 * The DUMP payload of `v`. `compress` (default true, as rdbcompression) LZF-compresses
 * strings longer than 20 bytes when that saves space.
 */
export function createDumpPayload(v: RdbValue, opts: { compress?: boolean } = {}): Uint8Array {
  const enc = new RdbEncoder({ compress: opts.compress ?? true });
  writeTypedValue(enc, v);
  enc.byte(RDB_VERSION & 0xff);
  enc.byte((RDB_VERSION >>> 8) & 0xff);
  const body = enc.takeBytes();
  const out = new Uint8Array(body.length + 8);
  out.set(body, 0);
  out.set(crc64Bytes(body), body.length);
  return out;
}

/** The RDB version a payload claims (its footer), or null when it is too short to have one. */
export function dumpPayloadVersion(buf: Uint8Array): number | null {
  if (buf.length < FOOTER) return null;
  const f = buf.length - FOOTER;
  return buf[f] | (buf[f + 1] << 8);
}

/**
 * The value in a RESTORE payload. `skipChecksum` is Redis's skip-checksum-validation
 * (DEBUG SET-SKIP-CHECKSUM-VALIDATION).
 */
export function parseDumpPayload(buf: Uint8Array, opts: { skipChecksum?: boolean } = {}): RdbValue {
  const version = dumpPayloadVersion(buf);
  if (version === null) {
    throw new RdbError(DUMP_VERSION_OR_CHECKSUM_WRONG, { cause: new RdbError(`a payload of ${buf.length} bytes is too short`) });
  }
  if (version > RDB_VERSION) {
    throw new RdbError(DUMP_VERSION_OR_CHECKSUM_WRONG, {
      cause: new RdbError(`the payload is of RDB version ${version}, newer than this shmkv reads in DUMP payloads (${RDB_VERSION})`),
    });
  }
  if (!opts.skipChecksum) {
    const crc = crc64Bytes(buf, 0, buf.length - 8);
    for (let i = 0; i < 8; i++) {
      if (crc[i] !== buf[buf.length - 8 + i]) {
        throw new RdbError(DUMP_VERSION_OR_CHECKSUM_WRONG, { cause: new RdbError('the payload\'s CRC-64 does not match its content') });
      }
    }
  }
  const body = buf.subarray(0, buf.length - FOOTER);
  const dec = new RdbDecoder(new BufferSource(body));
  let value: RdbValue | null;
  try {
    if (body.length === 0) throw new RdbError('the payload has no value');
    const type = dec.byte();
    if (!isRdbValueType(type)) throw new RdbError(`unknown value type ${type}`);
    value = readValue(dec, type);
    if (value === null) throw new RdbError('the value is an empty collection');
    if (dec.remaining !== 0) throw new RdbError(`${dec.remaining} bytes follow the value`);
  } catch (e) {
    if (e instanceof RdbUnsupportedError) {
      throw new RdbUnsupportedError(e.what, `the DUMP payload holds ${e.what}, which this version of shmkv does not support`);
    }
    if (e instanceof RdbError) throw new RdbError(DUMP_BAD_DATA_FORMAT, { cause: e });
    throw e;
  }
  return value;
}
