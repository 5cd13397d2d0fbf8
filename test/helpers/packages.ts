/**
 * The packages as their users get them: packed from the build (`npm test` builds dist/ and
 * dist/sdk-package/ first) and installed from the tarballs into empty projects of their own in the
 * system's temporary folder, where nothing of this repository is on the module path.
 *
 * npm runs with --prefer-offline: packages come from the npm cache that installing this repository
 * filled, and the registry is asked only for what the cache lacks (on a fresh machine, the package
 * documents of the dependencies, once).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const SDK_PACKAGE_DIR = join(ROOT, 'dist/sdk-package');

const exec = promisify(execFile);

/** This process's environment without what `npm test` set for its own script (npm_package_*, npm_lifecycle_*, …). */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_') || /^npm_config_(cache|registry|userconfig)$/i.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

export async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return exec('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, env: npmEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
}

/** `npm pack`s `dir` (the repository for the server, dist/sdk-package for the SDK) into `destination`; the tarball's path. */
export async function pack(dir: string, destination: string): Promise<string> {
  // --ignore-scripts: the server's prepack would build again what `npm test` has just built.
  const { stdout } = await exec('npm', ['pack', dir, '--ignore-scripts', '--pack-destination', destination, '--silent'], { cwd: ROOT, env: npmEnv(), timeout: 300_000 });
  return join(destination, stdout.trim().split('\n').at(-1)!);
}

/** A fresh temporary folder; `remove` deletes it. */
export function temporaryFolder(name: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `peerkeys-${name}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** An empty project in `dir` with `packages` (tarball paths or names) installed. */
export async function installProject(dir: string, packages: string[]): Promise<{ stdout: string; stderr: string }> {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'peerkeys-user', version: '1.0.0', private: true }, null, 2)}\n`);
  return npm(['install', ...packages], dir);
}

export interface InstalledSize {
  /** Packages in node_modules, nested ones included. */
  packages: number;
  /** Their names. */
  names: Set<string>;
  /** The bytes of every file under node_modules but npm's own bookkeeping (.package-lock.json). */
  bytes: number;
}

export function installedSize(project: string): InstalledSize {
  let packages = 0;
  const names = new Set<string>();
  const countIn = (modules: string, scope = ''): void => {
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(modules, entry.name);
      if (entry.name.startsWith('@')) countIn(path, `${entry.name}/`);
      else {
        packages++;
        names.add(`${scope}${entry.name}`);
        if (readdirSync(path).includes('node_modules')) countIn(join(path, 'node_modules'));
      }
    }
  };
  countIn(join(project, 'node_modules'));
  return { packages, names, bytes: bytesUnder(join(project, 'node_modules'), ['.package-lock.json', '.bin']) };
}

function bytesUnder(dir: string, skip: string[] = []): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += bytesUnder(path);
    else if (entry.isFile()) bytes += statSync(path).size;
  }
  return bytes;
}
