// The CLI's state file (src/cli/log-state.ts): state is kept per log — origin AND key — so a
// registry reset with a new key starts clean while one key's log is still held to what was
// verified; the old format (keyed by origin only) is adopted only by the key that signed it;
// `forget` keeps a copy of what it forgets.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { defaultCursorPath, StateFile } from '../../src/cli/log-state.js';
import { signCheckpoint } from '../../src/protocol/checkpoint.js';
import { logKeyFromSeed, type LogKey } from '../../src/node/log-key.js';

const root = mkdtempSync(join(tmpdir(), 'peerkeys-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }), 120_000);
let n = 0;
const fresh = () => join(root, `case-${n++}`, 'state.json');

const ORIGIN = 'localhost:8080/peerkeys';
const keyA = logKeyFromSeed(ORIGIN, new Uint8Array(32).fill(1));
const keyB = logKeyFromSeed(ORIGIN, new Uint8Array(32).fill(2));
const other = logKeyFromSeed('keys.example.org/peerkeys', new Uint8Array(32).fill(3));
const USER = '00mwv6hpc0nq8pxndzj8mpw5l';

/** The SDK's saved form of a checkpoint (RegistryClient's store value). */
async function savedCheckpoint(key: LogKey, size: number): Promise<string> {
  const root = new Uint8Array(32).fill(size);
  const note = await signCheckpoint({ origin: key.origin, size, root }, key.noteKey, key.sign);
  return JSON.stringify({ size, root: Buffer.from(root).toString('base64'), note });
}

describe('state per log', () => {
  it('keeps two keys of one origin apart: a new key starts with a clean slate', async () => {
    const file = new StateFile(fresh());
    await file.store(keyA.vkey).set(`checkpoint:${ORIGIN}`, await savedCheckpoint(keyA, 5));
    await file.store(keyA.vkey).set(`head:${ORIGIN}:${USER}`, '{"index":4,"hash":"x"}');
    expect(await file.store(keyB.vkey).get(`checkpoint:${ORIGIN}`)).toBeNull();
    expect(await file.store(keyB.vkey).get(`head:${ORIGIN}:${USER}`)).toBeNull();
    expect(JSON.parse((await file.store(keyA.vkey).get(`checkpoint:${ORIGIN}`))!).size).toBe(5);
    expect(file.logs().map((l) => [l.origin, l.keyId, l.checkpoint?.size, l.heads])).toEqual([[ORIGIN, keyA.vkey.split('+')[1], 5, 1]]);
  });

  it('writes the file with mode 0600 in a folder only its owner can enter', async () => {
    const path = fresh();
    await new StateFile(path).store(keyA.vkey).set('x', 'y');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
  });

  it('refuses a file that is not a state file, with a code, and leaves it alone', () => {
    const path = fresh();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '{"format":"something-else","logs":[]}');
    expect(() => new StateFile(path).logs()).toThrow(expect.objectContaining({ code: 'BAD_STATE_FILE' }));
    expect(readFileSync(path, 'utf8')).toBe('{"format":"something-else","logs":[]}');
  });
});

describe('the old format, keyed by origin only', () => {
  async function legacyFile(): Promise<string> {
    const path = fresh();
    mkdirSync(join(path, '..'), { recursive: true });
    const legacy = {
      [`checkpoint:${ORIGIN}`]: await savedCheckpoint(keyA, 7),
      [`head:${ORIGIN}:${USER}`]: '{"index":6,"hash":"h"}',
      [`checkpoint:${other.origin}`]: await savedCheckpoint(other, 3),
      // An origin that is a prefix of another must not take the other's entries.
      [`checkpoint:localhost`]: '{"size":1,"root":"","note":""}',
    };
    writeFileSync(path, JSON.stringify(legacy));
    return path;
  }

  it('is adopted by the key that signed its checkpoint, and by no other', async () => {
    const path = await legacyFile();
    const file = new StateFile(path);
    expect(await file.store(keyB.vkey).get(`checkpoint:${ORIGIN}`)).toBeNull(); // a new key: not its state
    expect(JSON.parse((await file.store(keyA.vkey).get(`checkpoint:${ORIGIN}`))!).size).toBe(7);
    expect(await file.store(keyA.vkey).get(`head:${ORIGIN}:${USER}`)).toBe('{"index":6,"hash":"h"}');
    const document = JSON.parse(readFileSync(path, 'utf8')) as { format: string; legacy: Record<string, string> };
    expect(document.format).toBe('peerkeys-cli-state/2');
    expect(Object.keys(document.legacy).sort()).toEqual([`checkpoint:${other.origin}`, 'checkpoint:localhost']);
  });

  it('is counted by origin until adopted', async () => {
    const file = new StateFile(await legacyFile());
    expect(Object.fromEntries(file.legacyOrigins())).toEqual({ [ORIGIN]: 2, [other.origin]: 1, localhost: 1 });
  });
});

describe('forget', () => {
  it("forgets every key's log of an origin, its cursors and old entries, and keeps a copy", async () => {
    const path = fresh();
    const file = new StateFile(path);
    await file.store(keyA.vkey).set(`checkpoint:${ORIGIN}`, await savedCheckpoint(keyA, 5));
    await file.store(keyB.vkey).set(`checkpoint:${ORIGIN}`, await savedCheckpoint(keyB, 2));
    await file.store(other.vkey).set(`checkpoint:${other.origin}`, await savedCheckpoint(other, 9));
    const cursors = [defaultCursorPath(path, keyA.noteKey), defaultCursorPath(path, keyB.noteKey), defaultCursorPath(path, other.noteKey)];
    for (const cursor of cursors) writeFileSync(cursor, '{}');

    const result = file.forget(ORIGIN);
    expect(result.forgotten.map((l) => l.checkpoint?.size).sort()).toEqual([2, 5]);
    expect(result.cursors.sort()).toEqual(cursors.slice(0, 2).sort());
    expect(cursors.map((c) => existsSync(c))).toEqual([false, false, true]);
    expect(file.logs().map((l) => l.origin)).toEqual([other.origin]);
    // The copy holds the signed checkpoints that were forgotten: the evidence, should it be needed.
    const archive = JSON.parse(readFileSync(result.archive!, 'utf8')) as { logs: Record<string, { values: Record<string, string> }> };
    expect(Object.keys(archive.logs).sort()).toEqual([keyA.vkey, keyB.vkey].sort());
    expect(JSON.parse(archive.logs[keyA.vkey]!.values[`checkpoint:${ORIGIN}`]!).note).toContain(`— ${ORIGIN} `);
    expect(readdirSync(join(path, '..', 'forgotten'))).toHaveLength(1);
  });

  it('forgets only one key with keyId, and nothing (no copy) for an unknown origin', async () => {
    const path = fresh();
    const file = new StateFile(path);
    await file.store(keyA.vkey).set(`checkpoint:${ORIGIN}`, await savedCheckpoint(keyA, 5));
    await file.store(keyB.vkey).set(`checkpoint:${ORIGIN}`, await savedCheckpoint(keyB, 2));
    const keyIdB = keyB.vkey.split('+')[1]!;
    expect(file.forget(ORIGIN, keyIdB).forgotten.map((l) => l.keyId)).toEqual([keyIdB]);
    expect(file.logs().map((l) => l.checkpoint?.size)).toEqual([5]);
    expect(file.forget('nobody.example/peerkeys')).toMatchObject({ forgotten: [], legacy: 0, archive: null });
  });
});
