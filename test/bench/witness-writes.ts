/**
 * Writes/s with two local witnesses (`peerkeys witness` processes) configured against without, in
 * the same run, on Postgres: `writes` genesis writes over HTTP each way, alternated twice, each on
 * a fresh database of its own (BENCH_DATABASE_witnesses), and the time until the last checkpoint
 * is cosigned by both.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkWitnessPolicy, cosignerKey, formatCosignerKey, witnessPolicy } from '../../src/protocol/cosignature.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { nodeSigner, nodeVerify } from '../../src/node/node-ed25519.js';
import { freePort, ROOT, startServer, waitFor } from './processes.js';
import { DATABASE_NAME, ORIGIN, recreateDatabase, seedOverHttp, TEMP_ROOT } from './stores.js';

/** Two `peerkeys witness` processes for the log of `vkey`, each on a fresh embedded database. */
async function startWitnesses(vkey: string): Promise<{ env: string; vkeys: string[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(TEMP_ROOT, 'peerkeys-bench-witness-'));
  const witnesses = await Promise.all(
    [1, 2].map(async (n) => {
      const port = await freePort();
      const seed = randomBytes(32);
      const name = `w${n}.bench.local`;
      const child = spawn(process.execPath, ['dist/cli/peerkeys.js', 'witness'], {
        cwd: ROOT,
        env: { ...process.env, WITNESS_NAME: name, WITNESS_SIGNING_KEY: toBase64Url(seed), WITNESS_LOGS: vkey, WITNESS_PORT: String(port), WITNESS_DATA_DIR: join(dir, name), LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(`${url}/`, child);
      return { child, url, vkey: formatCosignerKey(cosignerKey(name, nodeSigner(new Uint8Array(seed)).publicKey)) };
    }),
  );
  return {
    env: witnesses.map((w) => `${w.url} ${w.vkey}`).join(','),
    vkeys: witnesses.map((w) => w.vkey),
    async stop() {
      for (const w of witnesses) {
        w.child.kill('SIGTERM');
        await new Promise((resolve) => w.child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WitnessWrites {
  writes: number;
  none: number[];
  twoWitnesses: number[];
  /** Mean with two witnesses ÷ mean without. */
  ratio: number;
}

export async function benchWitnessWrites(writes: number): Promise<WitnessWrites> {
  process.stderr.write(`\n== writes with two local witnesses vs none (${writes} genesis writes each, 64 in flight)\n`);
  const seed32 = toBase64Url(randomBytes(32));
  const vkey = logKeyFromSeed(ORIGIN, new Uint8Array(Buffer.from(seed32, 'base64url'))).vkey;
  const rates: Record<'none' | 'two witnesses', number[]> = { none: [], 'two witnesses': [] };
  for (const round of [1, 2]) {
    for (const mode of ['none', 'two witnesses'] as const) {
      const witnesses = mode === 'none' ? null : await startWitnesses(vkey);
      const databaseUrl = await recreateDatabase(`${DATABASE_NAME}_witnesses`);
      const server = await startServer(ROOT, { DATABASE_URL: databaseUrl, LOG_SIGNING_KEY: seed32, LOG_ORIGIN: ORIGIN, DATABASE_POOL_SIZE: '20', WITNESSES: witnesses?.env ?? '' });
      const base = server.base;
      try {
        const seeded = await seedOverHttp(base, writes);
        const rate = Math.round(writes / seeded.seconds);
        rates[mode].push(rate);
        let cosigned = '';
        if (witnesses !== null) {
          // The last checkpoint does get cosigned by both (after the writes, which never waited).
          const policy = witnessPolicy(witnesses.vkeys, 2)!;
          const started = performance.now();
          for (;;) {
            const note = await (await fetch(`${base}/v1/log/checkpoint`)).text();
            if ((await checkWitnessPolicy(note, policy, nodeVerify, Date.now())).ok && note.split('\n')[1] === String(writes)) break;
            if (performance.now() - started > 60_000) {
              throw new Error(`the last checkpoint was not cosigned within 60 s: ${await (await fetch(`${base}/readyz`)).text()}\n${note}`);
            }
            await new Promise((r) => setTimeout(r, 50));
          }
          cosigned = `, last checkpoint cosigned by both ${Math.round(performance.now() - started)} ms after the last write`;
        }
        process.stderr.write(`  round ${round}, ${mode}: ${rate} writes/s${cosigned}\n`);
      } finally {
        await server.stop();
        await witnesses?.stop();
      }
    }
  }
  const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
  return { writes, none: rates.none, twoWitnesses: rates['two witnesses'], ratio: mean(rates['two witnesses']) / mean(rates.none) };
}
