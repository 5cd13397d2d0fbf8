// The exit status that npm start's launcher, `npm run generate` and `npm run test:long` pass on
// for the child they ran (src/node/exit-status.ts): 128 + n for a child ended by signal n.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { exitStatus } from '../../src/node/exit-status.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('exitStatus', () => {
  it("is the child's status, or 128 + the number of the signal that ended it", () => {
    expect(exitStatus(0, null)).toBe(0);
    expect(exitStatus(2, null)).toBe(2);
    expect(exitStatus(null, 'SIGINT')).toBe(130);
    expect(exitStatus(null, 'SIGTERM')).toBe(128 + constants.signals.SIGTERM);
    expect(exitStatus(null, null)).toBe(1);
  });

  it('is what `npm run test:long` exits with when Ctrl-C ended its npm test', () => {
    // test-long.ts runs `node $npm_execpath test -- …`: here a stand-in for npm that ends by SIGINT.
    const dir = mkdtempSync(join(tmpdir(), 'peerkeys-exit-status-'));
    try {
      const npm = join(dir, 'npm-interrupted.mjs');
      writeFileSync(npm, "process.kill(process.pid, 'SIGINT');\n");
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/tools/test-long.ts'], { cwd: ROOT, env: { ...process.env, npm_execpath: npm }, encoding: 'utf8' });
      expect(run.status).toBe(130);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
