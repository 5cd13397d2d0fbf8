// `peerkeys pin <url>`: fetches a registry's vkey, shows its key id and fingerprint for comparison
// out of band, and keeps it in a profile (several registries, one default); commands then take
// --registry <profile>. Precedence: --vkey, else the named profile's key, else PEERKEYS_VKEY, else
// the key pinned for that URL. A changed key is never pinned over the old one silently: both are
// shown side by side, as they are when a registry presents another key than the pinned one.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseVerifierKey } from '../../src/protocol/checkpoint.js';
import { toBase64Url, toHex } from '../../src/protocol/encoding.js';
import { keyFingerprint } from '../../src/sdk/fingerprint.js';
import { cleanEnv, peerkeys, type CliRun } from '../helpers/cli.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

let first: TestRegistry;
let second: TestRegistry;
let dir: string;
const home = () => join(dir, 'home');

function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return peerkeys(args, { cwd: dir, env: cleanEnv({ PEERKEYS_HOME: home(), ...env }) });
}

function json(run: CliRun): Record<string, any> {
  return JSON.parse(run.stdout) as Record<string, any>;
}

/** What a person compares: the vkey's key id and its fingerprint. */
function identityOf(vkey: string): { keyId: string; fingerprint: string } {
  const key = parseVerifierKey(vkey)!;
  return { keyId: toHex(key.keyId), fingerprint: keyFingerprint(toBase64Url(key.publicKey)) };
}

/** The key id of the signature line of a checkpoint note. */
function noteKeyId(note: string): string {
  return Buffer.from(note.trimEnd().split(' ').at(-1)!, 'base64').subarray(0, 4).toString('hex');
}

beforeAll(async () => {
  // One after another (see id-squatting.test.ts): starts that queue for the embedded database can time out.
  first = await startTestRegistry();
  second = await startTestRegistry();
  dir = mkdtempSync(join(tmpdir(), 'peerkeys-pin-'));
}, 120_000);
afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('peerkeys pin', () => {
  it('shows the key id and fingerprint to compare, pins the key as the default profile (mode 0600)', async () => {
    const pinned = await cli(['pin', first.url]);
    expectWith(pinned.code, pinned.stderr).toBe(0);
    const { keyId, fingerprint } = identityOf(first.service.logKey.vkey);
    expect(pinned.stdout).toMatch(new RegExp(`^key id +${keyId}$`, 'm'));
    expect(pinned.stdout).toMatch(new RegExp(`^fingerprint +${fingerprint}$`, 'm'));
    expect(pinned.stdout).toContain('(the default)');
    const file = join(home(), 'registries.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).registries[new URL(first.url).host].vkey).toBe(first.service.logKey.vkey);

    // No registry named, no PEERKEYS_*: the default profile, with its pinned key.
    const checkpoint = await cli(['log', 'checkpoint', '--json']);
    expectWith(checkpoint.code, checkpoint.stderr).toBe(0);
    expect(noteKeyId(json(checkpoint)['note'])).toBe(keyId);
  });

  it('--expect refuses a key other than the one given, and pins nothing', async () => {
    const wrong = await cli(['pin', second.url, '--name', 'second', '--expect', identityOf(first.service.logKey.vkey).fingerprint, '--json']);
    expect(wrong.code).toBe(1);
    expect(json(wrong)).toMatchObject({ exit: 1, error: { code: 'UNEXPECTED_KEY', presented: { keyId: identityOf(second.service.logKey.vkey).keyId } } });
    expect((await cli(['pin', '--list', '--json'])).stdout).not.toContain('"second"');

    const right = await cli(['pin', second.url, '--name', 'second', '--expect', identityOf(second.service.logKey.vkey).keyId, '--json']);
    expectWith(right.code, right.stdout).toBe(0);
    expect(json(right)).toMatchObject({ profile: 'second', default: false, compared: true, ...identityOf(second.service.logKey.vkey) });
  });

  it('commands take --registry <profile> or PEERKEYS_REGISTRY=<profile>; precedence as documented', async () => {
    const secondId = identityOf(second.service.logKey.vkey).keyId;
    const byFlag = await cli(['log', 'checkpoint', '--registry', 'second', '--json']);
    expectWith(byFlag.code, byFlag.stdout).toBe(0);
    expect(noteKeyId(json(byFlag)['note'])).toBe(secondId);
    // A named profile carries its key: PEERKEYS_VKEY (another registry's) does not override it.
    const byEnv = await cli(['log', 'checkpoint', '--json'], { PEERKEYS_REGISTRY: 'second', PEERKEYS_VKEY: first.service.logKey.vkey });
    expectWith(byEnv.code, byEnv.stdout).toBe(0);
    expect(noteKeyId(json(byEnv)['note'])).toBe(secondId);
    // --vkey overrides everything: here, wrongly.
    const flagWins = await cli(['log', 'checkpoint', '--registry', 'second', '--vkey', first.service.logKey.vkey, '--json']);
    expect(json(flagWins)).toMatchObject({ error: { code: 'VKEY_MISMATCH' } });
    // A bare URL finds the key pinned for it when PEERKEYS_VKEY is unset.
    const byUrl = await cli(['log', 'checkpoint', '--registry', second.url, '--json']);
    expectWith(byUrl.code, byUrl.stdout).toBe(0);
    expect(noteKeyId(json(byUrl)['note'])).toBe(secondId);
    // --registry beats PEERKEYS_REGISTRY.
    const flagBeatsEnv = await cli(['log', 'checkpoint', '--registry', 'second', '--json'], { PEERKEYS_REGISTRY: first.url });
    expect(noteKeyId(json(flagBeatsEnv)['note'])).toBe(secondId);
    // Neither a URL nor a profile: a usage error.
    expect((await cli(['log', 'checkpoint', '--registry', 'nonesuch'])).code).toBe(2);
  });

  it('a registry presenting another key than the pinned one: the pinned and presented key ids side by side', async () => {
    const firstName = new URL(first.url).host;
    const repin = await cli(['pin', second.url, '--name', firstName]);
    expect(repin.code).toBe(1);
    const a = identityOf(first.service.logKey.vkey);
    const b = identityOf(second.service.logKey.vkey);
    expect(repin.stderr).toMatch(new RegExp(`^ +pinned +test\\.example/peerkeys\\+${a.keyId} +${a.fingerprint} `, 'm'));
    expect(repin.stderr).toMatch(new RegExp(`^ +presented +test\\.example/peerkeys\\+${b.keyId} +${b.fingerprint}$`, 'm'));
    expect(repin.stderr).toContain('--force');

    // The same when a command meets it: the profile's URL now answering with another key.
    const met = await cli(['log', 'checkpoint', '--registry', firstName, '--vkey', second.service.logKey.vkey]);
    expect(met.code).toBe(1);
    expect(met.stderr).toMatch(new RegExp(`pinned +test\\.example/peerkeys +${b.keyId} +${b.fingerprint} +\\(--vkey\\)`));
    expect(met.stderr).toMatch(new RegExp(`presented +test\\.example/peerkeys +${a.keyId} +${a.fingerprint} `));

    const forced = await cli(['pin', second.url, '--name', firstName, '--force', '--json']);
    expectWith(forced.code, forced.stdout).toBe(0);
    expect(json(forced)).toMatchObject({ profile: firstName, default: true, replaced: first.service.logKey.vkey, keyId: b.keyId });
  });

  it('--list and --remove', async () => {
    const list = json(await cli(['pin', '--list', '--json']));
    expect(list['registries'].map((r: { name: string; default: boolean }) => [r.name, r.default]).sort()).toEqual([[new URL(first.url).host, true], ['second', false]].sort());
    expect((await cli(['pin', '--remove', new URL(first.url).host])).code).toBe(0);
    expect(json(await cli(['pin', '--list', '--json']))['registries'].map((r: { name: string; default: boolean }) => [r.name, r.default])).toEqual([['second', true]]);
    expect(json(await cli(['pin', '--remove', 'nonesuch', '--json']))).toMatchObject({ exit: 2, error: { code: 'NO_SUCH_PROFILE' } });
  });
});
