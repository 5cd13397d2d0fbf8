// docs/examples/peers-interop.mjs runs as written against a real registry, from the built package.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
beforeAll(async () => {
  registry = await startTestRegistry();
}, 120_000);
afterAll(() => registry.close(), 120_000);

it('the Peers interop example: derived box key, anchors accepted, a sealed address only Bob opens, aging', async () => {
  const root = new URL('../..', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, ['docs/examples/peers-interop.mjs', registry.url], { cwd: root });
  expect(stdout).toMatch(/^Alice's box key is derived, her id self-certifying$/m);
  expect(stdout).toMatch(/^anchors: registry confirm, document confirm -> accepted$/m);
  expect(stdout).toMatch(/^Bob opens: 192\.168\.1\.20:3341$/m);
  expect(stdout).toMatch(/^a stranger opens: null$/m);
  expect(stdout).toMatch(/^Bob's book, first meeting: NewUser$/m);
  expect(stdout).toMatch(/^Bob's book, 8 days later: Known$/m);
});
