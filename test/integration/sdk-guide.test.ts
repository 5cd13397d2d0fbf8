// The SDK guide (docs/sdk.md) as its reader meets it: every example script in docs/examples runs
// against a real registry from a project that has only the packed @peerkeys/sdk installed (and
// socket.io, for the handshake), and every code block of the guide is part of one of them.
import { execFile } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { installProject, npmEnv, pack, ROOT, SDK_PACKAGE_DIR, temporaryFolder } from '../helpers/packages.js';
import { useTestRegistry } from '../helpers/registry.js';

const EXAMPLES = join(ROOT, 'docs/examples');
/** Run by test/integration/packages.test.ts, which tests the installed package itself with them. */
const RUN_BY_PACKAGES_TEST = ['sdk-quickstart.mjs', 'sdk-lookup.cjs', 'sdk-browser-lookup.mjs'];

// The examples are other processes: it needs a port.
const registry = useTestRegistry({ listen: true });
const project = temporaryFolder('sdk-guide');

beforeAll(async () => {
  const tarball = await pack(SDK_PACKAGE_DIR, project.path);
  await installProject(project.path, [tarball, 'socket.io', 'socket.io-client']);
}, 600_000);
afterAll(() => project.remove());

async function runExample(name: string): Promise<string> {
  copyFileSync(join(EXAMPLES, name), join(project.path, name));
  const { stdout } = await promisify(execFile)(process.execPath, [name, registry.url], { cwd: project.path, env: npmEnv(), timeout: 120_000 });
  return stdout;
}

const RUN_HERE: Record<string, (stdout: string) => void> = {
  'sdk-monitor.mjs': (stdout) => {
    expect(stdout).toMatch(/^not mine: log index \d+, signing key [A-Za-z0-9_-]{43}$/m);
    expect(stdout).toMatch(/^recovered at log index \d+: the thief's key is no longer Carol's$/m);
  },
  'sdk-groups.mjs': (stdout) => {
    expect(stdout).toMatch(/^the group pins Bob's key [A-Za-z0-9_-]{43} as a writer$/m);
    expect(stdout).toMatch(/^cross-check: outdated$/m);
  },
  'peers-handshake.mjs': (stdout) => {
    expect(stdout).toMatch(/^Bob reached [0-9a-z]{25} \(trust: registry, level Known\)$/m);
    expect(stdout).toMatch(/^Alice accepted [0-9a-z]{25} \(trust: registry, level Known\)$/m);
    expect(stdout).toMatch(/^Bob got back: \{"echo":\{"text":"hello over the secure channel"\}\}$/m);
  },
  'peers-interop.mjs': (stdout) => {
    expect(stdout).toMatch(/^Alice's box key is derived, her id self-certifying$/m);
    expect(stdout).toMatch(/^anchors: registry confirm, document confirm -> accepted$/m);
    expect(stdout).toMatch(/^Bob opens: 192\.168\.1\.20:3341$/m);
    expect(stdout).toMatch(/^a stranger opens: null$/m);
    expect(stdout).toMatch(/^Bob's book, first meeting: NewUser$/m);
    expect(stdout).toMatch(/^Bob's book, 8 days later: Known$/m);
  },
};

describe('docs/sdk.md and docs/examples', () => {
  it('every example is run by a test, and every code block of the guide is part of an example', () => {
    const examples = readdirSync(EXAMPLES).sort();
    expect(examples).toEqual([...RUN_BY_PACKAGES_TEST, ...Object.keys(RUN_HERE)].sort());
    const sources = examples.map((name) => readFileSync(join(EXAMPLES, name), 'utf8'));
    const blocks = [...readFileSync(join(ROOT, 'docs/sdk.md'), 'utf8').matchAll(/^```(js|ts|mjs|cjs)\n([\s\S]*?)^```$/gm)].map((match) => match[2]!);
    expect(blocks.length).toBeGreaterThan(5);
    expect(blocks.filter((block) => !sources.some((source) => source.includes(block)))).toEqual([]);
  });

  for (const [name, check] of Object.entries(RUN_HERE)) {
    it(`${name} runs as written against a real registry`, async () => check(await runExample(name)), 180_000);
  }
});
