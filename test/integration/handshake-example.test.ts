// docs/examples/peers-handshake.mjs runs as written against a real registry.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from '@jest/globals';
import { useTestRegistry } from '../helpers/registry.js';

// The example is another process: it needs a port.
const registry = useTestRegistry({ listen: true });

it('two peers and the registry on localhost: handshake through the registry, then a secure exchange', async () => {
  const root = new URL('../..', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, ['docs/examples/peers-handshake.mjs', registry.url], { cwd: root });
  expect(stdout).toMatch(/^Bob reached [0-9a-z]{25} \(trust: registry, level Known\)$/m);
  expect(stdout).toMatch(/^Alice accepted [0-9a-z]{25} \(trust: registry, level Known\)$/m);
  expect(stdout).toMatch(/^Bob got back: \{"echo":\{"text":"hello over the secure channel"\}\}$/m);
});
