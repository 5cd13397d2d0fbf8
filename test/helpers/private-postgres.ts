/**
 * A Postgres server of the test's own — `initdb` in a temporary folder, its own port — that the
 * test may stop and start at will. Never the shared server. Needs the Postgres server binaries
 * (Debian's postgresql package); as root, it runs them as the `postgres` user.
 */
import { execFileSync, execSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const version = readdirSync(root).sort().pop();
  return version === undefined ? null : join(root, version, 'bin');
}

const BIN = postgresBin();
const IS_ROOT = process.getuid?.() === 0;
const POSTGRES_UID = (() => {
  try {
    return Number(execSync('id -u postgres').toString());
  } catch {
    return null;
  }
})();

/** Whether this machine can run a private Postgres (server binaries, and a non-root user if root). */
export const CAN_RUN_PRIVATE_POSTGRES = BIN !== null && existsSync(join(BIN, 'initdb')) && (!IS_ROOT || POSTGRES_UID !== null);

export interface PrivatePostgres {
  url: string;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** A TCP port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (!CAN_RUN_PRIVATE_POSTGRES) throw new Error('no Postgres server binaries here');
  const dir = mkdtempSync(join(tmpdir(), 'peerkeys-pg-'));
  if (IS_ROOT) chownSync(dir, POSTGRES_UID!, POSTGRES_UID!);
  const run = (tool: string, args: string[]) => {
    const command = IS_ROOT ? ['runuser', '-u', 'postgres', '--', join(BIN!, tool), ...args] : [join(BIN!, tool), ...args];
    execFileSync(command[0]!, command.slice(1), { stdio: 'pipe' });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    start,
    destroy() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
