/**
 * Short, human-comparable key fingerprints: what two people read to each other to check a key.
 * 100 bits of SHA-256 over a domain-separated input, in Crockford base32 (no I, L, O or U to
 * misread), in five groups of four: `7K2Q-M9XA-PLDF-3RTV-W8ZN`.
 */
import { concatBytes, fromBase64Url, utf8 } from '../protocol/encoding.js';
import { sha256 } from '../protocol/hash.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The fingerprint of a base64url public key (signing or box key). */
export function keyFingerprint(publicKey: string): string {
  const bytes = fromBase64Url(publicKey, 32);
  if (bytes === null) throw new TypeError('not a 32-byte base64url key');
  const digest = sha256(concatBytes(utf8('peerkeys:v1:fingerprint\n'), bytes));
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 20) {
      bits -= 5;
      out += CROCKFORD[(value >> bits) & 31];
    }
    if (out.length === 20) break;
  }
  return out.match(/.{4}/g)!.join('-');
}
