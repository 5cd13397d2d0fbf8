// Races resolved by the database: one winner, the rest 409, never a 500, never a fork or a gap.
import { describe, expect, it } from '@jest/globals';
import { parseCheckpointText, parseSignedNote } from '../../src/protocol/checkpoint.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord } from '../helpers/identities.js';
import { useTestRegistry } from '../helpers/registry.js';

const registry = useTestRegistry();
const client = api(() => registry.app);

function countBy(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

describe('concurrent writes to one chain', () => {
  it('20 concurrent updates on the same head: exactly one accepted, 19 answered 409, chain intact', async () => {
    const erin = await newIdentity();
    expect((await client.post('/v1/users', erin.head)).status).toBe(201);
    // Twenty different successors of the same head, all signed by the same rotation key.
    const candidates = await Promise.all(Array.from({ length: 20 }, () => nextRecord(erin, { signingKey: generateSigningKeyPair() })));
    const replies = await Promise.all(candidates.map((record) => client.post(`/v1/users/${erin.userId}`, record)));
    expect(countBy(replies.map((r) => r.status))).toEqual({ 200: 1, 409: 19 });
    for (const reply of replies.filter((r) => r.status === 409)) expect(reply.body.code).toBe('PREV_MISMATCH');

    const winner = candidates[replies.findIndex((r) => r.status === 200)]!;
    const lookup = await client.get(`/v1/users/${erin.userId}`);
    expect(lookup.body.entries.map((e: { record: unknown }) => e.record)).toEqual([erin.head, winner]);
  });

  it('20 concurrent genesis records for one userId: exactly one 201, the rest 409 ALREADY_EXISTS', async () => {
    const first = await newIdentity();
    const rivals = [first, ...(await Promise.all(Array.from({ length: 19 }, () => newIdentity({ twinOf: first }))))];
    const replies = await Promise.all(rivals.map((identity) => client.post('/v1/users', identity.head)));
    expect(countBy(replies.map((r) => r.status))).toEqual({ 201: 1, 409: 19 });
    for (const reply of replies.filter((r) => r.status === 409)) expect(reply.body.code).toBe('ALREADY_EXISTS');
    const lookup = await client.get(`/v1/users/${first.userId}`);
    expect(lookup.body.entries).toHaveLength(1);
  });
});

describe('concurrent writes to the log', () => {
  it('60 writes in flight leave no gap, no duplicate index and one root per checkpoint size', async () => {
    const identities = await Promise.all(Array.from({ length: 60 }, () => newIdentity()));
    const replies = await Promise.all(identities.map((identity) => client.post('/v1/users', identity.head)));
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const indexes = replies.map((r) => r.body.index as number).sort((a, b) => a - b);
    expect(new Set(indexes).size).toBe(60);
    expect(indexes[59]! - indexes[0]!).toBe(59); // contiguous

    const roots = new Map<number, string>();
    for (const reply of replies) {
      const checkpoint = parseCheckpointText(parseSignedNote(reply.body.checkpoint)!.text)!;
      const root = Buffer.from(checkpoint.root).toString('hex');
      expect(roots.get(checkpoint.size) ?? root).toBe(root);
      roots.set(checkpoint.size, root);
    }
    const entries = await client.get(`/v1/log/entries?start=0&limit=1000`);
    expect(entries.body.entries.map((e: { index: number }) => e.index)).toEqual(entries.body.entries.map((_: unknown, i: number) => i));
  });
});
