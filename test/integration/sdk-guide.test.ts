// The SDK guide's example runs as written, against a real registry, from the built package.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from '@jest/globals';
import { useTestRegistry } from '../helpers/registry.js';

// The example is another process: it needs a port.
const registry = useTestRegistry({ listen: true });

it('docs/examples/sdk-quickstart.mjs runs and verifies what it claims', async () => {
  const root = new URL('../..', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, ['docs/examples/sdk-quickstart.mjs', registry.url], { cwd: root });
  expect(stdout).toMatch(/^registered [0-9a-z]{25} at log index \d+$/m);
  expect(stdout).toMatch(/^verified Alice: signing key [A-Za-z0-9_-]{43}, 2 records, checkpoint size \d+$/m);
  expect(stdout).toMatch(/^devices: 192\.168\.1\.20:5000$/m);
  expect(stdout).toMatch(/^Alice opened a sealed message from [0-9a-z]{25}: \{"hello":"Alice"\}$/m);
});
