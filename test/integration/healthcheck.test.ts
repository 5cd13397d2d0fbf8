// The container's health probe (dist/healthcheck.js, the Dockerfile's and docker-compose.yml's
// HEALTHCHECK) against real registries: over HTTP and over HTTPS with a self-signed certificate,
// on whatever PORT says, and unhealthy when nothing answers, when the scheme is wrong, or when
// /readyz says 503.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEAD_URL } from '../helpers/anchor-server.js';
import { cleanEnv, ROOT, run, type CliRun } from '../helpers/cli.js';
import { startTestMirror, type TestMirror } from '../helpers/mirror.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PROBE = `${ROOT}dist/healthcheck.js`;

/** Runs the probe as the container would, with only the registry's own variables set. */
function probe(env: Record<string, string>): Promise<CliRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'peerkeys-probe-')); // no .env here
  return run(process.execPath, [PROBE], { cwd, env: cleanEnv({ HOST: '127.0.0.1', ...env }), timeoutMs: 20_000 });
}

const portOf = (url: string) => new URL(url).port;

let plain: TestRegistry;
let secure: TestRegistry;
let tls: { TLS_CERT_FILE: string; TLS_KEY_FILE: string };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peerkeys-tls-'));
  tls = { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') };
  // A self-signed certificate for the public name, as a registry serving HTTPS itself has one
  // (never for 127.0.0.1, which the probe asks).
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=keys.example.org', '-keyout', tls.TLS_KEY_FILE, '-out', tls.TLS_CERT_FILE]);
  plain = await startTestRegistry();
  secure = await startTestRegistry({ env: { ...tls, PUBLIC_URL: 'https://keys.example.org' } });
}, 120_000);
afterAll(async () => {
  await plain?.close();
  await secure?.close();
}, 120_000);

describe('the health probe', () => {
  it('is healthy against a registry over HTTP, on the PORT it is given', async () => {
    expect(plain.url.startsWith('http://')).toBe(true);
    const healthy = await probe({ PORT: portOf(plain.url) });
    expect(healthy).toEqual({ code: 0, stdout: '', stderr: '' });
    // HOST=0.0.0.0 (the image's) is reached on loopback.
    expect((await probe({ PORT: portOf(plain.url), HOST: '0.0.0.0' })).code).toBe(0);
  });

  it('is healthy against a registry serving HTTPS itself, with a certificate for its public name', async () => {
    expect(secure.url.startsWith('https://')).toBe(true);
    expect((await probe({ PORT: portOf(secure.url), ...tls, PUBLIC_URL: 'https://keys.example.org' })).code).toBe(0);
    expect((await probe({ PORT: portOf(secure.url), ...tls })).code).toBe(0);
  });

  it('follows TLS_CERT_FILE: plain HTTP to an HTTPS port, or TLS to an HTTP one, is unhealthy', async () => {
    const asHttp = await probe({ PORT: portOf(secure.url) });
    expect(asHttp.code).toBe(1);
    expect(asHttp.stderr).toMatch(/^unhealthy: http:\/\/127\.0\.0\.1:\d+\/readyz/);
    const asHttps = await probe({ PORT: portOf(plain.url), ...tls });
    expect(asHttps.code).toBe(1);
    expect(asHttps.stderr).toMatch(/^unhealthy: https:\/\/127\.0\.0\.1:\d+\/readyz/);
  });

  it('is unhealthy when nothing listens on PORT', async () => {
    const result = await probe({ PORT: portOf(DEAD_URL) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ECONNREFUSED');
  });

  it('is unhealthy while /readyz answers 503 (a mirror that has not caught up)', async () => {
    let mirror: TestMirror | undefined;
    try {
      // A mirror of a registry it cannot reach is never ready: /readyz 503 UNAVAILABLE.
      mirror = await startTestMirror('http://127.0.0.1:9', plain.service.logKey.vkey);
      const result = await probe({ PORT: portOf(mirror.url) });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/answered 503$/m);
    } finally {
      await mirror?.close();
    }
  });

  it('is unhealthy, saying why, when the configuration cannot be read', async () => {
    const result = await probe({ PORT: 'not-a-port' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^unhealthy: PORT/);
  });
});
