/**
 * The container's health probe (the Dockerfile's HEALTHCHECK and docker-compose.yml's):
 * `node dist/healthcheck.js` asks the registry in the same container for GET /readyz where the
 * registry listens — HOST and PORT, over HTTPS when TLS_CERT_FILE is set — from the same
 * configuration `peerkeys serve` reads (the environment, and ./.env if present). Exit status 0 when
 * it answers 200, 1 otherwise (Docker's healthy and unhealthy), with one line saying why.
 *
 * Like src/main.ts this is an entry point, so it reads the environment; nothing imports it.
 *
 * The certificate is not verified: it names the public host, not the loopback address asked here,
 * and may come from a private CA. The probe sends nothing secret and trusts nothing it receives
 * beyond the status code, and a registry that is not serving TLS where TLS is configured still
 * fails (the handshake does).
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { readConfig } from './config.js';

/** Docker's own timeout (the Dockerfile's --timeout=3s) ends the probe anyway; this answers first. */
const TIMEOUT_MS = 2_500;

/** Where to reach a server listening on `host`: a wildcard address is reached on loopback. */
function probeHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[(.*)\]$/, '$1');
}

function probe(): Promise<string | null> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // signsCheckpoints: false — the probe needs no log key, and must not fail for want of one.
  const config = readConfig(process.env, { signsCheckpoints: false });
  const { host, port, tls, publicUrl } = config.http;
  const target = { host: probeHost(host), port, path: '/readyz', timeout: TIMEOUT_MS, headers: { 'user-agent': 'peerkeys-healthcheck' } };
  const servername = new URL(publicUrl).hostname;
  const url = `${tls === null ? 'http' : 'https'}://${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${port}/readyz`;
  return new Promise((resolve) => {
    const request =
      tls === null
        ? http.get(target)
        : https.get({ ...target, rejectUnauthorized: false, ...(isIP(servername) === 0 ? { servername } : {}) });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? null : `${url} answered ${response.statusCode}`);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', (error) => resolve(`${url}: ${error.message}`));
  });
}

try {
  const problem = await probe();
  if (problem !== null) {
    console.error(`unhealthy: ${problem}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`unhealthy: ${(error as Error).message}`);
  process.exit(1);
}
