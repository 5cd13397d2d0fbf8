// A Write's canonical JSON — what the log stores, hashes and splices into the leaf — is always the
// encoding of the record the rules judge (ledger/entry-kind.ts, review of the write path).
import { describe, expect, it } from '@jest/globals';
import { fastGenesis } from '../bench/fast-records.js';
import { admitRecord, identityKind, Write } from '../../src/ledger/index.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { parseAndEncodeIdentityRecord, type IdentityRecord } from '../../src/protocol/identity.js';
import { canonicalJson } from '../../src/protocol/json.js';
import type { EncodedRecord } from '../../src/protocol/records.js';
import { canonicalRecordDigest, recordHash } from '../../src/protocol/signing.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';

const expectConsistent = (write: { record: object; canonical: string; hash: string; digest: Uint8Array }) => {
  expect(write.canonical).toBe(canonicalJson(write.record));
  expect(write.digest).toEqual(canonicalRecordDigest(write.canonical));
  expect(write.hash).toBe(toBase64Url(write.digest));
  expect(write.hash).toBe(recordHash(write.record));
};

describe('Write', () => {
  it('takes the record and its encoding from parseAndEncode as one value, encoding nothing again', () => {
    const parsed = parseAndEncodeIdentityRecord(fastGenesis().head);
    const write = new Write(identityKind, parsed);
    expect(write.record).toBe(parsed.record);
    expect(write.canonical).toBe(parsed.canonical);
    expect(write.mode).toBe('genesis');
    expectConsistent(write);
  });

  it('encodes a bare record itself', () => {
    const record = fastGenesis().head;
    const write = new Write(identityKind, record, 'successor');
    expect(write.record).toBe(record);
    expect(write.mode).toBe('successor');
    expectConsistent(write);
  });

  it('cannot be handed a record with some other encoding', () => {
    const parsed = parseAndEncodeIdentityRecord(fastGenesis().head);
    const other = fastGenesis().head;
    // The pair is frozen: neither half can be swapped.
    expect(() => ((parsed as { record: IdentityRecord }).record = other)).toThrow(TypeError);
    expect(() => ((parsed as { canonical: string }).canonical = canonicalJson(other))).toThrow(TypeError);
    // An object shaped like one is not taken for one (nor, without a cast, does it type-check).
    // @ts-expect-error -- only parseAndEncodeRecord makes an EncodedRecord
    const literal: EncodedRecord<IdentityRecord> = { record: other, canonical: parsed.canonical };
    const forged = new Write(identityKind, literal as unknown as EncodedRecord<IdentityRecord>);
    expect(forged.canonical).not.toBe(parsed.canonical);
    expectConsistent(forged);
  });

  it('is what replay admits: the parsed record with its encoding', async () => {
    const record = fastGenesis().head;
    const write = await admitRecord(0, JSON.parse(JSON.stringify(record)) as unknown, nodeVerify);
    expect(write.record).toEqual(record);
    expectConsistent(write);
  });
});
