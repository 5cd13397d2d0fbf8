// A client's witness policy as options: how long it waits for a cosigned checkpoint
// (RegistryClientOptions.witnesses.waitMs, the CLI's --witness-wait), and what it refuses.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { type CliEnvironment, type OptionValues } from '../../src/cli/command.js';
import { witnessOptions } from '../../src/cli/registry-target.js';
import { cosignerKey, formatCosignerKey } from '../../src/protocol/cosignature.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { nodeSigner, nodeVerify } from '../../src/node/node-ed25519.js';
import { RegistryClient } from '../../src/sdk/client.js';
import { requireCosignatures } from '../../src/sdk/client/witness-policy.js';
import { verifyRegistryCheckpoint } from '../../src/sdk/map-verify.js';
import { MiniLog } from '../helpers/mini-log.js';

const W1 = formatCosignerKey(cosignerKey('w1.example', nodeSigner(new Uint8Array(32).fill(1)).publicKey));
const W2 = formatCosignerKey(cosignerKey('w2.example', nodeSigner(new Uint8Array(32).fill(2)).publicKey));
const VKEY = logKeyFromSeed('test.example/peerkeys', new Uint8Array(32).fill(3)).vkey;

describe('RegistryClientOptions.witnesses.waitMs', () => {
  const withWait = (waitMs: number) => () => new RegistryClient({ url: 'http://127.0.0.1:1', vkey: VKEY, witnesses: { vkeys: [W1, W2], quorum: 2, waitMs } });

  it('takes 0 (ask once) and any finite number of milliseconds', () => {
    expect(withWait(0)).not.toThrow();
    expect(withWait(2_500)).not.toThrow();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %p with a TypeError', (waitMs) => {
    expect(withWait(waitMs)).toThrow(TypeError);
  });
});

describe('waiting for a checkpoint the quorum cosigned', () => {
  /** How long each ask takes, on a fake clock that moves only when the test moves it. */
  const ASK_MS = 400;

  afterEach(() => {
    jest.useRealTimers();
  });

  // waitMs bounds the whole wait, the asks' own time included (the pauses alone would allow 5 asks
  // of 1 s). It asks at least once, and an ask under way at the deadline is answered, not cut off.
  it.each([
    { waitMs: 0, asks: 1, elapsedMs: ASK_MS },
    { waitMs: 1_000, asks: 2, elapsedMs: ASK_MS + 250 + ASK_MS },
  ])('with waitMs $waitMs: $asks ask(s), refused after $elapsedMs ms', async ({ waitMs, asks, elapsedMs }) => {
    const log = new MiniLog();
    const note = await log.checkpoint();
    const checkpoint = await verifyRegistryCheckpoint(note, log.key, nodeVerify);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate'] });
    let asked = 0;
    // The registry has no checkpoint cosigned by the quorum: it answers with its own, uncosigned.
    const request = async () => {
      asked += 1;
      jest.advanceTimersByTime(ASK_MS);
      return note;
    };
    const start = performance.now();
    const refused = requireCosignatures(checkpoint, { vkeys: [W1, W2], quorum: 2, waitMs }, { key: log.key, verify: nodeVerify, now: Date.now, request });
    refused.catch(() => {}); // awaited below, once the timers have run
    await jest.runAllTimersAsync();
    await expect(refused).rejects.toMatchObject({ code: 'INSUFFICIENT_COSIGNATURES' });
    expect(asked).toBe(asks);
    expect(performance.now() - start).toBe(elapsedMs);
  });
});

describe('peerkeys --witness-wait', () => {
  const env = {} as CliEnvironment;
  const parse = (values: OptionValues) => witnessOptions({ values: { witness: [W1, W2], ...values }, env });

  it('defaults to the SDK’s 5 s; takes a duration, 0 included', () => {
    expect(parse({})).toEqual({ vkeys: [W1, W2], quorum: 2, waitMs: 5_000 });
    expect(parse({ 'witness-wait': '0' })?.waitMs).toBe(0);
    expect(parse({ 'witness-wait': '750ms' })?.waitMs).toBe(750);
    expect(parse({ 'witness-wait': '30s' })?.waitMs).toBe(30_000);
  });

  // The last: more milliseconds than a number holds exactly (the SDK would refuse what it became).
  it.each(['-1', '1.5s', 'soon', '5 days', '', '99999999999999999999h'])('refuses "%s" as a usage error', (text) => {
    expect(() => parse({ 'witness-wait': text })).toThrow(expect.objectContaining({ name: 'UsageError', code: 'USAGE' }));
  });

  it('is $PEERKEYS_WITNESS_WAIT where not given, read by the same rules', () => {
    const withEnv = (witnessWait: string, values: OptionValues = {}) => witnessOptions({ values: { witness: [W1, W2], ...values }, env: { ...env, witnessWait } });
    expect(withEnv('750ms')?.waitMs).toBe(750);
    expect(withEnv('0')?.waitMs).toBe(0);
    expect(withEnv('750ms', { 'witness-wait': '2s' })?.waitMs).toBe(2_000);
    expect(() => withEnv('soon')).toThrow(expect.objectContaining({ name: 'UsageError', code: 'USAGE' }));
  });

  it('is a usage error without witnesses to wait for', () => {
    expect(() => witnessOptions({ values: { 'witness-wait': '1s' }, env })).toThrow(expect.objectContaining({ name: 'UsageError', code: 'USAGE' }));
    expect(() => witnessOptions({ values: {}, env: { ...env, witnessWait: '1s' } })).toThrow(expect.objectContaining({ name: 'UsageError', code: 'USAGE' }));
    expect(witnessOptions({ values: {}, env })).toBeUndefined();
  });
});
