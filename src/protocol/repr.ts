/**
 * Redis's sdscatrepr: bytes as a double-quoted string with C escapes, every byte outside
 * printable ASCII as \xHH (MONITOR lines, quoted config values).
 */
export function reprBytes(b: Uint8Array): string {
  let out = '"';
  for (const ch of b) {
    if (ch === 0x5c || ch === 0x22) out += '\\' + String.fromCharCode(ch);
    else if (ch === 10) out += '\\n';
    else if (ch === 13) out += '\\r';
    else if (ch === 9) out += '\\t';
    else if (ch === 7) out += '\\a';
    else if (ch === 8) out += '\\b';
    else if (ch >= 32 && ch < 127) out += String.fromCharCode(ch);
    else out += '\\x' + ch.toString(16).padStart(2, '0');
  }
  return out + '"';
}
