// Issue 16's acceptance: two witnesses as real processes (`peerkeys witness`, each on its own
// embedded database) cosign the registry's checkpoints; a registry that rewrote its history under
// the same key cannot get its forked checkpoint cosigned, and clients with a 1-of-2 or 2-of-2
// witness policy refuse what it shows them; a witness restarted mid-stream keeps its state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseSignedNote } from '../../src/protocol/checkpoint.js';
import { checkWitnessPolicy, formatAddCheckpointRequest, witnessPolicy } from '../../src/protocol/cosignature.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { RegistryClient } from '../../src/sdk/client.js';
import type { WitnessStatus } from '../../src/server/log/witness-submitter.js';
import { startChildWitness, type ChildWitness } from '../helpers/child-witness.js';
import { cleanEnv, peerkeys } from '../helpers/cli.js';
import { newIdentity } from '../helpers/identities.js';
import { SETUP_TIMEOUT_MS, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { waitFor } from '../helpers/wait.js';

const ORIGIN = 'witnessed.test/peerkeys';
const LOG_SEED = new Uint8Array(32).fill(42);
const logKey = logKeyFromSeed(ORIGIN, LOG_SEED);

let w1: ChildWitness;
let w2: ChildWitness;
let honest: TestRegistry;
let forked: TestRegistry | null = null;

/** A registry with this log key and a database of its own: the honest one, or a rewritten history. */
function registry(): Promise<TestRegistry> {
  return startTestRegistry({
    logSeed: LOG_SEED,
    env: { LOG_ORIGIN: ORIGIN, WITNESSES: `${w1.url} ${w1.vkey}, ${w2.url} ${w2.vkey}`, WITNESSES_POLL_MS: '20', WITNESSES_MAX_BACKOFF_MS: '200', WITNESSES_TIMEOUT_MS: '2000' },
  });
}

/**
 * A client of `on`, with a k-of-2 witness policy when `quorum` is given. `waitMs`: how long it asks
 * for a cosigned checkpoint that extends a fresh one; 0 (ask once) where the test expects a refusal,
 * so that it does not sit out the SDK's default 5 s.
 */
function client(on: TestRegistry, quorum?: number, options: { waitMs?: number; fetch?: typeof fetch } = {}): RegistryClient {
  return new RegistryClient({
    url: on.url,
    vkey: logKey.vkey,
    verify: nodeVerify,
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    ...(quorum !== undefined ? { witnesses: { vkeys: [w1.vkey, w2.vkey], quorum, ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}) } } : {}),
  });
}

/** A client that refuses at once rather than after the SDK's default wait. */
const refusingClient = (on: TestRegistry, quorum: number) => client(on, quorum, { waitMs: 0 });

async function register(on: TestRegistry, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const identity = await newIdentity({ quickKeys: true });
    await client(on).register(identity.head);
    ids.push(identity.userId);
  }
  return ids;
}

/** `peerkeys lookup --json` with a k-of-2 witness policy, in a fresh state folder; `--witness-wait` when given. */
async function lookupWithCli(on: TestRegistry, userId: string, quorum: number, wait?: string) {
  const home = mkdtempSync(join(tmpdir(), 'peerkeys-witness-cli-'));
  try {
    const args = ['lookup', userId, '--json', '--registry', on.url, '--vkey', logKey.vkey, '--witness', w1.vkey, '--witness', w2.vkey, '--witness-quorum', String(quorum)];
    if (wait !== undefined) args.push('--witness-wait', wait);
    return await peerkeys(args, { cwd: home, env: cleanEnv({ PEERKEYS_HOME: home }) });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function checkpointNote(on: TestRegistry): Promise<string> {
  return (await fetch(`${on.url}/v1/log/checkpoint`)).text();
}

async function witnessStates(on: TestRegistry): Promise<WitnessStatus[]> {
  return ((await (await fetch(`${on.url}/readyz`)).json()) as { witnesses: WitnessStatus[] }).witnesses;
}

/** Waits until the registry's latest checkpoint is cosigned by `witnesses`; returns that note. */
function cosignedBy(on: TestRegistry, witnesses: ChildWitness[]): Promise<string> {
  const policy = witnessPolicy(witnesses.map((w) => w.vkey), witnesses.length)!;
  return waitFor(
    async () => {
      const note = await checkpointNote(on);
      expect((await checkWitnessPolicy(note, policy, nodeVerify, Date.now())).ok).toBe(true);
      return note;
    },
    { timeout: 30_000 },
  );
}

beforeAll(async () => {
  [w1, w2] = await Promise.all([startChildWitness('w1.witness.test', 101, [logKey.vkey]), startChildWitness('w2.witness.test', 102, [logKey.vkey])]);
  honest = await registry();
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await forked?.close();
  await honest?.close();
  await Promise.all([w1?.destroy(), w2?.destroy()]);
});

describe('two witnesses cosign the registry’s checkpoints', () => {
  let ids: string[];

  it('each new checkpoint gets both cosignatures, served with the note; a 2-of-2 client accepts', async () => {
    ids = await register(honest, 3);
    const note = await cosignedBy(honest, [w1, w2]);
    const size = Number(parseSignedNote(note)!.text.split('\n')[1]);
    expect(size).toBeGreaterThanOrEqual(3);
    expect(await w1.sizes()).toEqual({ [ORIGIN]: size });
    const identity = await client(honest, 2).lookup(ids[0]!);
    expect(identity.userId).toBe(ids[0]);
    // The lookup's checkpoint (the bundle's) carries the cosignatures too.
    expect(identity.checkpoint.note).toContain('— w2.witness.test ');
    const states = await waitFor(async () => {
      const s = await witnessStates(honest);
      expect(s.map((w) => w.cosignedSize)).toEqual([size, size]);
      return s;
    });
    expect(states.map((w) => [w.name, w.failures, w.lastError])).toEqual([
      ['w1.witness.test', 0, null],
      ['w2.witness.test', 0, null],
    ]);
    const cli = await lookupWithCli(honest, ids[1]!, 2);
    expect([cli.code, JSON.parse(cli.stdout).userId]).toEqual([0, ids[1]]);
    expect(await (await fetch(`${honest.url}/metrics`)).text()).toMatch(/peerkeys_witness_cosigned_size\{witness="w1\.witness\.test"\} \d+/);
  });

  it('a witness restarted mid-stream keeps its state; while it is down writes go on and only a 2-of-2 client refuses', async () => {
    await w2.stop();
    const [id] = await register(honest, 1);
    await cosignedBy(honest, [w1]);
    expect((await client(honest, 1).lookup(id!)).userId).toBe(id);
    await expect(refusingClient(honest, 2).lookup(id!)).rejects.toMatchObject({ code: 'INSUFFICIENT_COSIGNATURES' });
    await waitFor(async () => expect((await witnessStates(honest))[1]).toMatchObject({ lastError: 'UNREACHABLE' }));

    // A 2-of-2 client that waits for cosignatures long enough: it asks for a checkpoint cosigned by
    // both while w2 is still down, and accepts once w2, back, has cosigned one that extends its own.
    const asked: string[] = [];
    const recording: typeof fetch = (input, init) => {
      asked.push(String(input));
      return fetch(input, init);
    };
    const patient = client(honest, 2, { waitMs: 60_000, fetch: recording }).lookup(id!);
    patient.catch(() => {}); // awaited below, after w2's restart
    await waitFor(() => expect(asked.some((url) => url.endsWith('/v1/log/checkpoint?cosigned=2'))).toBe(true));
    await w2.start();
    const before = (await w2.sizes())[ORIGIN]!;
    expect(before).toBeGreaterThanOrEqual(3);
    // It remembers what it cosigned: a checkpoint from scratch (old size 0) gets its size back, not a cosignature.
    const stale = await fetch(`${w2.url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpointRequest({ oldSize: 0, proof: [], note: await checkpointNote(honest) }) });
    expect(stale.status).toBe(409);
    expect(Number(await stale.text())).toBeGreaterThanOrEqual(before);
    expect((await patient).userId).toBe(id);
    await cosignedBy(honest, [w1, w2]);
    expect((await client(honest, 2).lookup(id!)).userId).toBe(id);
  });
});

describe('a forked log (the same key, another history)', () => {
  it('is not cosigned by either witness, and 1-of-2 and 2-of-2 clients refuse it', async () => {
    const witnessed = await w1.sizes();
    forked = await registry();
    const [id] = await register(forked, (witnessed[ORIGIN] ?? 0) + 2);
    await waitFor(
      async () => {
        const states = await witnessStates(forked!);
        for (const state of states) {
          expect(state.cosignedSize).toBeNull();
          expect(['HTTP_422', 'WITNESS_AHEAD', 'CONFLICT']).toContain(state.lastError);
        }
      },
      { timeout: 30_000 },
    );
    expect(await checkpointNote(forked)).not.toContain('witness.test');
    // Both witnesses still hold the honest log's size.
    expect(await w1.sizes()).toEqual(witnessed);
    // The CLI, with a 1-of-2 policy: exit 1, INSUFFICIENT_COSIGNATURES, nothing printed as verified.
    const [, , cli] = await Promise.all([
      expect(refusingClient(forked, 1).lookup(id!)).rejects.toMatchObject({ code: 'INSUFFICIENT_COSIGNATURES' }),
      expect(refusingClient(forked, 2).lookup(id!)).rejects.toMatchObject({ code: 'INSUFFICIENT_COSIGNATURES' }),
      lookupWithCli(forked, id!, 1, '0'),
    ]);
    expect([cli.code, JSON.parse(cli.stdout).error.code]).toEqual([1, 'INSUFFICIENT_COSIGNATURES']);
    // Without a witness policy (the default), the fork is what it always was: invisible to a client that saw only it.
    expect((await client(forked).lookup(id!)).userId).toBe(id);
  });
});
