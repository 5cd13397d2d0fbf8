/**
 * A Postgres server of the test's own — `initdb` in a temporary folder, its own port — that the
 * test may stop and start at will. Never the shared server. Needs the Postgres server binaries
 * (Debian's postgresql package); as root, it runs them as the `postgres` user.
 */
import { execFile, execFileSync, execSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

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
  port: number;
  stop(): void;
  /** stop(), without blocking the event loop meanwhile: requests in flight go on while the server stops. */
  stopping(): Promise<void>;
  start(): void;
  destroy(): void;
}

/** The command line of a Postgres server tool (initdb, pg_ctl, pg_basebackup), as the `postgres` user when root. */
function commandOf(tool: string, args: string[]): [string, string[]] {
  const command = IS_ROOT ? ['runuser', '-u', 'postgres', '--', join(BIN!, tool), ...args] : [join(BIN!, tool), ...args];
  return [command[0]!, command.slice(1)];
}

function run(tool: string, args: string[]): void {
  execFileSync(...commandOf(tool, args), { stdio: 'pipe' });
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

/** A folder of the server's own (owned by `postgres` when root), under the system's temporary folder. */
function serverFolder(): string {
  if (!CAN_RUN_PRIVATE_POSTGRES) throw new Error('no Postgres server binaries here');
  const dir = mkdtempSync(join(tmpdir(), 'peerkeys-pg-'));
  if (IS_ROOT) chownSync(dir, POSTGRES_UID!, POSTGRES_UID!);
  return dir;
}

/** Starts the server of the data folder `dir`/data on a free port. */
async function startServer(dir: string): Promise<PrivatePostgres> {
  const data = join(dir, 'data');
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    stopping: async () => void (await promisify(execFile)(...commandOf('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']))),
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

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = serverFolder();
  // initdb's pg_hba.conf trusts replication connections from 127.0.0.1 too (with -A trust), and
  // wal_level defaults to replica: the server can feed startPrivateReplica as it is.
  run('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
  return startServer(dir);
}

/**
 * A hot-standby streaming replica of `primary` (a private server of startPrivatePostgres):
 * `pg_basebackup -R` copies it and writes the standby settings, then the copy starts on a port
 * of its own and follows the primary's WAL. Read-only, as any Postgres read replica.
 */
export async function startPrivateReplica(primary: PrivatePostgres): Promise<PrivatePostgres> {
  const dir = serverFolder();
  run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', join(dir, 'data'), '-R', '-X', 'stream', '--no-sync', '-c', 'fast']);
  return startServer(dir);
}
