import { describe, expect, it } from '@jest/globals';
import { jsonBuffer, ownedJsonBuffer } from '../../src/server/pages.js';

describe('page buffers', () => {
  const parts = ['{"name":"Zoë",', Buffer.from('"key":"🔑"'), '}'];

  it('write text and bytes one after another, as UTF-8', () => {
    for (const write of [jsonBuffer, ownedJsonBuffer]) expect(JSON.parse(write(parts).toString())).toEqual({ name: 'Zoë', key: '🔑' });
  });

  it('to be kept, own their memory: a small one is not a slice of a shared slab', () => {
    const kept = ownedJsonBuffer(parts);
    expect(kept.buffer.byteLength).toBe(kept.length);
  });
});
