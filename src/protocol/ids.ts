/**
 * Peers ids (DESIGN.md §1): 25 characters of [0-9a-z] — 10 of base36 milliseconds since the
 * epoch, zero-padded, then 15 random base36 characters.
 */

export const PEERS_ID_PATTERN = /^[0-9a-z]{25}$/;

export function isPeersId(text: string): boolean {
  return PEERS_ID_PATTERN.test(text);
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A new Peers id from a cryptographic random source (WebCrypto, present in Node 20 and browsers). */
export function newPeersId(now: number = Date.now()): string {
  const time = now.toString(36).padStart(10, '0').slice(-10);
  let random = '';
  // Rejection sampling keeps every character uniform: 252 is the largest multiple of 36 below 256.
  while (random.length < 15) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      if (byte < 252 && random.length < 15) random += ALPHABET[byte % 36];
    }
  }
  return time + random;
}
