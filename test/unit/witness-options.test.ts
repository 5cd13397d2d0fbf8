// A client's witness policy as options: how long it waits for a cosigned checkpoint
// (RegistryClientOptions.witnesses.waitMs, the CLI's --witness-wait), and what it refuses.
import { describe, expect, it } from '@jest/globals';
import { type CliEnvironment, type OptionValues } from '../../src/cli/command.js';
import { witnessOptions } from '../../src/cli/registry-target.js';
import { cosignerKey, formatCosignerKey } from '../../src/protocol/cosignature.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { nodeSigner } from '../../src/node/node-ed25519.js';
import { RegistryClient } from '../../src/sdk/client.js';

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

describe('peerkeys --witness-wait', () => {
  const env = {} as CliEnvironment;
  const parse = (values: OptionValues) => witnessOptions({ values: { witness: [W1, W2], ...values }, env });

  it('defaults to the SDK’s 5 s; takes a duration, 0 included', () => {
    expect(parse({})).toEqual({ vkeys: [W1, W2], quorum: 2, waitMs: 5_000 });
    expect(parse({ 'witness-wait': '0' })?.waitMs).toBe(0);
    expect(parse({ 'witness-wait': '750ms' })?.waitMs).toBe(750);
    expect(parse({ 'witness-wait': '30s' })?.waitMs).toBe(30_000);
  });

  it.each(['-1', '1.5s', 'soon', '5 days', ''])('refuses "%s" as a usage error', (text) => {
    expect(() => parse({ 'witness-wait': text })).toThrow(expect.objectContaining({ name: 'UsageError', code: 'USAGE' }));
  });

  it('is a usage error without witnesses to wait for', () => {
    expect(() => witnessOptions({ values: { 'witness-wait': '1s' }, env })).toThrow(expect.objectContaining({ name: 'UsageError', code: 'USAGE' }));
    expect(witnessOptions({ values: {}, env })).toBeUndefined();
  });
});
