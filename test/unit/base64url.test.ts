// nodeBase64Url (Node's Buffer) gives the same text as the protocol's own toBase64Url.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { nodeBase64Url } from '../../src/node/base64url.js';
import { fromBase64Url, toBase64Url } from '../../src/protocol/encoding.js';

describe('nodeBase64Url', () => {
  it('encodes every length and every byte as toBase64Url does, with no padding', () => {
    for (let length = 0; length <= 100; length++) {
      const bytes = new Uint8Array(randomBytes(length));
      expect(nodeBase64Url(bytes)).toBe(toBase64Url(bytes));
      expect(fromBase64Url(nodeBase64Url(bytes))).toEqual(bytes);
    }
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(nodeBase64Url(every)).toBe(toBase64Url(every));
  });

  it('encodes only the view it is given, not the rest of its buffer', () => {
    const whole = new Uint8Array(randomBytes(64));
    const view = whole.subarray(7, 39);
    expect(nodeBase64Url(view)).toBe(toBase64Url(Uint8Array.from(view)));
  });
});
