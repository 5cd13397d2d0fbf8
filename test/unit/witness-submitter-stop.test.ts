// WitnessSubmitter.stop(): a submission in flight is aborted and ends its loop quietly, but only the
// stop's own abort does: any other error raised while the stop runs (a database error, a witness's
// CONFLICT, which is fork evidence) is counted and logged as before. No database: the log is a fake.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import nacl from 'tweetnacl';
import { signCheckpoint } from '../../src/protocol/checkpoint.js';
import { cosignerKey } from '../../src/protocol/cosignature.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { WitnessSubmitter, type CheckpointSource } from '../../src/server/log/witness-submitter.js';

interface LogLine {
  level: number;
  msg?: string;
  reason?: string;
}

const logKey = logKeyFromSeed('stop.test/peerkeys', new Uint8Array(32).fill(7));
const witnessKey = cosignerKey('slow.example/witness', nacl.sign.keyPair().publicKey);

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

let witness: Server | null = null;

afterEach(async () => {
  witness?.closeAllConnections();
  await new Promise((resolve) => witness?.close(resolve) ?? resolve(undefined));
  witness = null;
});

/** A witness that takes every submission and never answers; resolves `received` at the first. */
async function silentWitness(received: () => void): Promise<string> {
  witness = createServer(() => received());
  await new Promise<void>((resolve) => witness!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(witness.address() as AddressInfo).port}`;
}

function submitter(log: CheckpointSource, url: string, logged: LogLine[]): WitnessSubmitter {
  return new WitnessSubmitter(
    { query: async () => [] } as never,
    log,
    [{ url, key: witnessKey }],
    nodeVerify,
    // Longer than any test: a stop that waited for them would fail by Jest's timeout.
    { timeoutMs: 600_000, pollMs: 600_000, maxBackoffMs: 600_000 },
    pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as LogLine) }),
    new Registry(),
  );
}

describe('WitnessSubmitter.stop', () => {
  it('aborts a submission in flight: the stop ends at once and logs no failure of the witness', async () => {
    const received = deferred<void>();
    const url = await silentWitness(() => received.resolve());
    const note = await signCheckpoint({ origin: logKey.origin, size: 1, root: new Uint8Array(32) }, logKey.noteKey, logKey.sign);
    const logged: LogLine[] = [];
    const witnesses = submitter({ latest: async () => ({ size: 1, note }), consistencyProof: async () => ({ hashes: [] }) }, url, logged);
    witnesses.start();
    await received.promise;
    await witnesses.stop();
    expect(logged).toEqual([]);
    expect(witnesses.status()[0]).toMatchObject({ failures: 0, lastError: null });
  });

  it('logs and counts an error that is not its abort, even when raised while the stop runs', async () => {
    const url = await silentWitness(() => {});
    const latest = deferred<{ size: number; note: string }>();
    const asked = deferred<void>();
    const logged: LogLine[] = [];
    const witnesses = submitter(
      {
        latest: () => {
          asked.resolve();
          return latest.promise;
        },
        consistencyProof: async () => ({ hashes: [] }),
      },
      url,
      logged,
    );
    witnesses.start();
    await asked.promise;
    const stopping = witnesses.stop();
    latest.reject(new Error('the database went away'));
    await stopping;
    expect(logged).toEqual([expect.objectContaining({ level: 40, reason: 'UNAVAILABLE', msg: 'witness did not cosign the checkpoint' })]);
    expect(witnesses.status()[0]).toMatchObject({ failures: 1, lastError: 'UNAVAILABLE' });
  });
});
