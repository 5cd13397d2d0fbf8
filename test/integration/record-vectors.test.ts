// The shared record vectors (test/vectors/) replayed against a real registry over HTTP, each entry
// at its own time (a test clock), and checked through the SDK: every entry of a valid vector is
// accepted and the SDK verifies the chains they build; an invalid vector's entries are accepted up
// to its refused entry, which the registry refuses with the vector's code — the same code the
// rules give in test/unit/record-vectors.test.ts.
import { describe, expect, it } from '@jest/globals';
import { parseTimestamp } from '../../src/protocol/time.js';
import { recordHash } from '../../src/protocol/signing.js';
import { RegistryClient, RegistryError } from '../../src/sdk/index.js';
import { api } from '../helpers/http.js';
import { recordVectors, type RecordVector } from '../helpers/record-vectors.js';
import { testClock, useTestRegistry } from '../helpers/registry.js';

const clock = testClock(Date.parse('2026-11-24T21:00:00.000Z'));
const registry = useTestRegistry({ clock, listen: true });

type Entry = RecordVector['entries'][number];

/** The endpoint a record is submitted to (DESIGN.md §6). */
function endpoint({ record }: Entry): string {
  const id = record.type === 'group' ? (record['groupId'] as string) : (record['userId'] as string);
  const base = record.type === 'group' ? '/v1/groups' : '/v1/users';
  return record.seq === 0 ? base : `${base}/${id}`;
}

/** Submits each entry at its acceptance time; returns the answers. */
async function submit(entries: Entry[]) {
  const answers = [];
  for (const entry of entries) {
    clock.set(parseTimestamp(entry.acceptedAt)!);
    answers.push(await api(registry.app).post(endpoint(entry), entry.record));
  }
  return answers;
}

describe('the valid record vectors, against the registry and through the SDK', () => {
  it.each(recordVectors('valid').map((v) => [v.name, v] as const))('%s', async (_name, vector) => {
    const answers = await submit(vector.entries);
    expect(answers.map((a) => a.status)).toEqual(vector.entries.map((e) => (e.record.seq === 0 ? 201 : 200)));
    // The SDK verifies what the registry built from them: each chain's head is the vector's last record of it.
    // Its clock is the registry's (checkpoints are dated by it).
    const client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey, now: clock.now });
    const last = new Map(vector.entries.map((e) => [`${e.record.type} ${String(e.record['userId'] ?? e.record['groupId'])}`, e.record]));
    for (const [key, record] of last) {
      const [type, id] = key.split(' ') as [string, string];
      const verified = type === 'group' ? await client.group(id) : await client.lookup(id);
      expect(verified.head.hash).toBe(recordHash(record));
    }
  });
});

describe('the invalid record vectors, against the registry through the SDK', () => {
  it.each(recordVectors('invalid').map((v) => [v.name, v] as const))('%s', async (_name, vector) => {
    const { index, code } = vector.expect!;
    const before = await submit(vector.entries.slice(0, index));
    expect(before.map((a) => a.status)).toEqual(vector.entries.slice(0, index).map((e) => (e.record.seq === 0 ? 201 : 200)));
    const refused = vector.entries[index]!;
    clock.set(parseTimestamp(refused.acceptedAt)!);
    const client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
    const answer = client.request('POST', endpoint(refused), refused.record);
    await expect(answer).rejects.toBeInstanceOf(RegistryError);
    await expect(answer).rejects.toMatchObject({ code });
  });
});
