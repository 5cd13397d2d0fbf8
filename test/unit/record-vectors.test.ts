// The shared record vectors replayed through the protocol's rules as every follower of the log
// applies them (src/ledger/: schema, signatures, chain rules in log order). The same files are
// replayed against the registry over HTTP and through the SDK (integration/record-vectors.test.ts).
import { describe, expect, it } from '@jest/globals';
import { InvalidEntry, LedgerState, replayLog, type ChainHead, type LogSource, type SourceEntry } from '../../src/ledger/index.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { recordHash } from '../../src/protocol/signing.js';
import { parseTimestamp } from '../../src/protocol/time.js';
import { recordVectors, type RecordVector } from '../helpers/record-vectors.js';

function source(vector: RecordVector): LogSource {
  const entries: SourceEntry[] = vector.entries.map((e, index) => ({ index, acceptedAt: e.acceptedAt, acceptedAtMs: parseTimestamp(e.acceptedAt)!, record: e.record }));
  return {
    async *pages(start, end) {
      yield entries.slice(start, end);
    },
  };
}

describe('the valid record vectors', () => {
  it.each(recordVectors('valid').map((v) => [v.name, v] as const))('%s: every entry is accepted, and each decision gives the chain’s new head', async (_name, vector) => {
    const heads = new Map<string, ChainHead>();
    const tree = await replayLog(source(vector), {
      ledger: new LedgerState(),
      verify: nodeVerify,
      to: vector.entries.length,
      onEntry: ({ entry, decision }) => {
        expect(decision).not.toBeNull();
        expect(decision!.head).toMatchObject({ index: entry.index, hash: recordHash(entry.record as object), seq: (entry.record as { seq: number }).seq });
        heads.set(`${decision!.head.kind} ${decision!.head.id}`, decision!.head);
      },
    });
    expect(tree.size).toBe(vector.entries.length);
    expect(heads.size).toBeGreaterThan(0);
  });
});

describe('the invalid record vectors', () => {
  it.each(recordVectors('invalid').map((v) => [v.name, v] as const))('%s: refused with its code at its index, after the entries before it', async (_name, vector) => {
    const { index, code } = vector.expect!;
    const accepted: number[] = [];
    const replay = replayLog(source(vector), {
      ledger: new LedgerState(),
      verify: nodeVerify,
      to: vector.entries.length,
      onEntry: ({ entry, decision }) => void (decision !== null && accepted.push(entry.index)),
    });
    await expect(replay).rejects.toBeInstanceOf(InvalidEntry);
    await expect(replay).rejects.toMatchObject({ code: 'INVALID_ENTRY', index, reason: code });
    expect(accepted).toEqual([...Array(index).keys()]);
  });
});
