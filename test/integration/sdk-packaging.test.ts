// `peerkeys/sdk` as a user's code sees it: the built package, imported by name from ESM and from
// CommonJS in a separate Node process, doing a verified lookup. (`npm test` builds first.)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, createIdentityRecord, generateIdentityKeys } from '../../src/sdk/index.js';
import { useTestRegistry } from '../helpers/registry.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

// Node processes of their own look it up: it listens.
const registry = useTestRegistry({ listen: true });
let userId: string;
let publicKey: string;

beforeAll(async () => {
  const keys = generateIdentityKeys();
  const record = await createIdentityRecord(keys);
  await new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey }).register(record);
  userId = record.userId;
  publicKey = keys.signing.publicKey;
}, 120_000);

const script = (load: string) => `${load}
const client = new RegistryClient({ url: process.env.URL, vkey: process.env.VKEY });
client.lookup(process.env.USER_ID).then((identity) => console.log(identity.publicKey), (error) => { console.error(error); process.exit(1); });`;

describe('the built SDK package', () => {
  it('has been built (npm test runs the build first)', () => {
    expect(existsSync(`${ROOT}dist/sdk/index.js`) && existsSync(`${ROOT}dist/sdk/index.cjs`) && existsSync(`${ROOT}dist/sdk/peerkeys-sdk.browser.js`)).toBe(true);
  });

  for (const [kind, args] of [
    ['an ES module', ['--input-type=module', '-e', script("import { RegistryClient } from 'peerkeys/sdk';")]],
    ['CommonJS', ['--input-type=commonjs', '-e', script("const { RegistryClient } = require('peerkeys/sdk');")]],
  ] as const) {
    it(`imports RegistryClient from 'peerkeys/sdk' in ${kind} and verifies a lookup`, async () => {
      const env = { ...process.env, URL: registry.url, VKEY: registry.service.logKey.vkey, USER_ID: userId };
      const { stdout } = await run(process.execPath, [...args], { cwd: ROOT, env });
      expect(stdout.trim()).toBe(publicKey);
    });
  }

  it('ships a FileStore for Node under peerkeys/sdk/node', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', "import { FileStore } from 'peerkeys/sdk/node'; console.log(typeof FileStore);"], { cwd: ROOT });
    expect(stdout.trim()).toBe('function');
  });
});
