import { randomBytes } from 'node:crypto';

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters from a CSPRNG, without modulo bias (bytes >= 248 are rejected). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(Math.ceil((length - out.length) * 1.1) + 4)) {
      if (byte < 248) out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Encodes the first 8 bytes of `bytes` as exactly `length` base62 digits (a truncated digest). */
export function digestToBase62(bytes: Buffer, length: number): string {
  let n = bytes.readBigUInt64BE(0);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE62_ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

/** A prefixed public id such as `acct_…`, `key_…`, `evt_…`: 22 base62 characters (~131 bits). */
export function newId(prefix: 'acct' | 'key' | 'evt'): string {
  return `${prefix}_${randomBase62(22)}`;
}
