import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { CONFIG_VARIABLES, ConfigError, parseBudgets, readConfig } from '../../src/config.js';

const EXAMPLE = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');

function exampleVariables(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of EXAMPLE.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

describe('.env.example', () => {
  it('lists exactly the variables the config reads', () => {
    expect(Object.keys(exampleVariables()).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('shows the real defaults: the example as written configures what an empty environment does', () => {
    expect(readConfig(exampleVariables())).toEqual(readConfig({}));
  });
});

describe('readConfig', () => {
  it('defaults to the embedded database with a generated log key in DATA_DIR', () => {
    const config = readConfig({ DATA_DIR: '/tmp/x' });
    expect(config.database).toEqual({ kind: 'embedded', dataDir: '/tmp/x' });
    expect(config.log.signingKey).toEqual({ kind: 'generated', path: '/tmp/x/log-signing-key' });
    expect(config.log.origin).toBe('localhost:8080/peerkeys');
  });

  it('derives the origin from PUBLIC_URL and refuses origins C2SP cannot name', () => {
    expect(readConfig({ PUBLIC_URL: 'https://keys.example.org/' }).log.origin).toBe('keys.example.org/peerkeys');
    expect(() => readConfig({ LOG_ORIGIN: 'has space' })).toThrow(ConfigError);
    expect(() => readConfig({ LOG_ORIGIN: 'a+b' })).toThrow(ConfigError);
  });

  it('requires a shared log key with Postgres', () => {
    expect(() => readConfig({ DATABASE_URL: 'postgres://x/y' })).toThrow(/LOG_SIGNING_KEY/);
    const seed = Buffer.alloc(32, 7).toString('base64url');
    expect(readConfig({ DATABASE_URL: 'postgres://x/y', LOG_SIGNING_KEY: seed }).log.signingKey.kind).toBe('seed');
    expect(() => readConfig({ DATABASE_URL: 'postgres://x/y', LOG_SIGNING_KEY: `${seed}=` })).toThrow(ConfigError);
  });

  it('takes a read replica only beside DATABASE_URL: the embedded database has none', () => {
    const seed = Buffer.alloc(32, 7).toString('base64url');
    const config = readConfig({ DATABASE_URL: 'postgres://x/y', DATABASE_READ_URL: 'postgres://r/y', LOG_SIGNING_KEY: seed });
    expect(config.database).toMatchObject({ kind: 'postgres', url: 'postgres://x/y', readUrl: 'postgres://r/y' });
    expect(readConfig({ DATABASE_URL: 'postgres://x/y', LOG_SIGNING_KEY: seed }).database).toMatchObject({ readUrl: undefined });
    expect(() => readConfig({ DATABASE_READ_URL: 'postgres://r/y' })).toThrow(/DATABASE_READ_URL .* needs DATABASE_URL/);
  });

  it('needs no log key, and generates none, for a process that signs no checkpoint (a mirror)', () => {
    expect(readConfig({ DATABASE_URL: 'postgres://x/y' }, { signsCheckpoints: false }).log.signingKey).toEqual({ kind: 'none' });
    expect(readConfig({ DATA_DIR: '/tmp/m' }, { signsCheckpoints: false }).log.signingKey).toEqual({ kind: 'none' });
  });

  it('takes TLS files in pairs and enables HTTPS URLs', () => {
    expect(() => readConfig({ TLS_CERT_FILE: 'cert.pem' })).toThrow(/TLS_KEY_FILE/);
    const config = readConfig({ TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem' });
    expect(config.http.tls).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
    expect(config.http.publicUrl).toBe('https://localhost:8080');
  });

  it('reads trust proxy as a hop count, never as "true"', () => {
    expect(readConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(() => readConfig({ TRUST_PROXY: 'true' })).toThrow(ConfigError);
  });

  it('caps CHECKPOINT_INTERVAL_SECONDS at 300, well inside the clients\' 600 s maximum checkpoint age', () => {
    expect(readConfig({ CHECKPOINT_INTERVAL_SECONDS: '300' }).log.checkpointIntervalMs).toBe(300_000);
    expect(() => readConfig({ CHECKPOINT_INTERVAL_SECONDS: '301' })).toThrow(/CHECKPOINT_INTERVAL_SECONDS/);
    expect(() => readConfig({ CHECKPOINT_INTERVAL_SECONDS: '301' })).toThrow(ConfigError);
  });

  it('parses rate budgets and rejects nonsense', () => {
    expect(parseBudgets('10/1h,30/1d')).toEqual([
      { limit: 10, windowMs: 3_600_000 },
      { limit: 30, windowMs: 86_400_000 },
    ]);
    expect(parseBudgets('5/250ms')).toEqual([{ limit: 5, windowMs: 250 }]);
    expect(() => readConfig({ RATE_LIMIT_IP_READS: 'lots' })).toThrow(ConfigError);
    expect(() => readConfig({ RATE_LIMIT_IP_READS: '0/1m' })).toThrow(ConfigError);
  });
});
