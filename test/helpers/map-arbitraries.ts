/** fast-check arbitraries of the key map (DESIGN.md §5.2), shared by its property tests. */
import fc from 'fast-check';
import type { MapValue } from '../../src/protocol/key-map.js';

/** A value encodeMapValue accepts: any record hash, an index up to the largest safe integer, a small seq, either status. */
export const mapValueArb: fc.Arbitrary<MapValue> = fc.record({
  recordHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  index: fc.oneof(fc.nat(1000), fc.constant(Number.MAX_SAFE_INTEGER)),
  seq: fc.nat(50),
  status: fc.constantFrom('active' as const, 'revoked' as const),
});
