/**
 * `peerkeys witness` (the built CLI) in a child process of its own, on an embedded database in a
 * data folder of the test's: `stop()` ends the process and keeps the folder, `start()` runs it
 * again on the same folder and port (a restart), `destroy()` removes everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosignerKey, formatCosignerKey } from '../../src/protocol/cosignature.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { nodeSigner } from '../../src/node/node-ed25519.js';
import { cleanEnv, NODE_FLAGS, PEERKEYS, ROOT } from './cli.js';
import { freePort } from './private-postgres.js';
import { waitFor } from './wait.js';

export interface ChildWitness {
  url: string;
  name: string;
  /** Its cosigner vkey (type 0x04). */
  vkey: string;
  /** Its state as GET / reports it: the size it last cosigned per origin. */
  sizes(): Promise<Record<string, number>>;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startChildWitness(name: string, seedByte: number, logVkeys: string[]): Promise<ChildWitness> {
  // The machine's shared scratch folder when there is one (/work/tmp here), else the OS's.
  const shared = join(ROOT, '..', '..', 'tmp');
  const base = existsSync(shared) ? join(shared, 'witness') : join(tmpdir(), 'peerkeys-witness');
  mkdirSync(base, { recursive: true });
  const dataDir = mkdtempSync(join(base, 'child-'));
  const port = await freePort();
  const seed = new Uint8Array(32).fill(seedByte);
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const proc = spawn(process.execPath, [...NODE_FLAGS, PEERKEYS, 'witness'], {
      cwd: dataDir,
      env: cleanEnv({
        WITNESS_NAME: name,
        WITNESS_SIGNING_KEY: toBase64Url(seed),
        WITNESS_DATA_DIR: join(dataDir, 'data'),
        WITNESS_LOGS: logVkeys.join(','),
        WITNESS_HOST: '127.0.0.1',
        WITNESS_PORT: String(port),
        LOG_LEVEL: 'warn',
      }),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`the witness exited with ${proc.exitCode} before it was ready`);
        if ((await fetch(`${url}/`)).status !== 200) throw new Error('not ready');
      },
      { timeout: 120_000, interval: 100 },
    );
  };
  const stop = async () => {
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    child = null;
  };
  await start();
  return {
    url,
    name,
    vkey: formatCosignerKey(cosignerKey(name, nodeSigner(seed).publicKey)),
    async sizes() {
      const body = (await (await fetch(`${url}/`)).json()) as { logs: Array<{ origin: string; size: number }> };
      return Object.fromEntries(body.logs.map((l) => [l.origin, l.size]));
    },
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
