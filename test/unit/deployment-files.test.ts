// The deployment files, checked without a Docker engine (none runs where the tests do):
// docker-compose.yml against the Compose Specification's schema and against the registry's own
// configuration, the Dockerfile's instructions, and the build context .dockerignore leaves.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, readConfig } from '../../src/config.js';
import { SERVER_ENV, SERVER_NODE_OPTIONS } from '../../src/server-process.js';
import { WITNESS_VARIABLES } from '../../src/witness/config.js';
import { loadLogKey } from '../../src/node/log-key.js';
import { TILE_PREFIX } from '../../src/server/routes/tiles.js';
import { expectWith } from '../helpers/expect-with.js';

type Node = Record<string, any>;

const ROOT = new URL('../..', import.meta.url).pathname;
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const COMPOSE = parse(read('docker-compose.yml')) as Node;
const DOCKERFILE = read('Dockerfile');
const README = read('README.md');

// ajv-formats is CommonJS with `exports.default`; under ESM interop the callable may sit one level down.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/**
 * Compose's variable interpolation (compose-spec, "Interpolation"): `${VAR}`, `${VAR:-default}`
 * (unset or empty), `${VAR-default}` (unset), `${VAR:?error}` (unset or empty: fails),
 * `${VAR?error}` (unset: fails), and `$$` for a literal `$`.
 */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (match, name: string | undefined, colon: string, kind: string, argument: string) => {
    if (match === '$$') return '$';
    const value = env[name!];
    const missing = value === undefined || (colon === ':' && value === '');
    if (kind === '?' && missing) throw new Error(`${name}: ${argument}`);
    if (kind === '-' && missing) return argument;
    return value ?? '';
  });
}

function interpolateAll(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((child) => interpolateAll(child, env));
  if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, interpolateAll(child, env)]));
  return node;
}

const REPLICAS = ['registry-1', 'registry-2'];

/** The `.env` the README tells an operator to write, with each `$(command)` standing for its output. */
function documentedDotEnv(): Record<string, string> {
  const block = /cat > \.env <<EOF\n([\s\S]*?)\nEOF/.exec(README);
  expectWith(block, 'the README shows the .env to write').not.toBeNull();
  const out: Record<string, string> = {};
  for (const line of block![1]!.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match !== null) out[match[1]!] = match[2]!.replace(/\$\([^)]*\)/g, '0123456789abcdef0123456789abcdef');
  }
  return out;
}

describe('docker-compose.yml', () => {
  it('is valid under the Compose Specification’s schema', () => {
    // Not strict: the schema is draft-07 with annotations Ajv's strict mode refuses, and it names
    // its meta-schema by an https URL Ajv registers as http.
    const { $schema: _metaSchema, ...schema } = JSON.parse(read('test/fixtures/compose-spec/compose-spec.json'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expectWith(validate(COMPOSE), JSON.stringify(validate.errors)).toBe(true);
    // And the schema does refuse a mistake.
    expect(validate({ ...COMPOSE, secrets: { log_signing_key: { fil: './secrets/log-signing-key' } } })).toBe(false);
  });

  it('hands the log signing key over as a secret file, never as an environment variable', () => {
    const registry = COMPOSE['services']['registry'];
    expect(registry['secrets']).toEqual(['log_signing_key']);
    expect(COMPOSE['secrets']).toEqual({ log_signing_key: { file: './secrets/log-signing-key' } });
    expect(registry['environment']['LOG_SIGNING_KEY_FILE']).toBe('/run/secrets/log_signing_key');
    expect(registry['environment']['LOG_SIGNING_KEY']).toBeUndefined();
    expect(read('docker-compose.yml')).not.toMatch(/^\s*LOG_SIGNING_KEY:/m);
  });

  it('sets only variables the registry reads, in the registry and in its replicas', () => {
    for (const service of ['registry', ...REPLICAS]) {
      const environment = Object.keys(COMPOSE['services'][service]['environment']);
      expectWith(environment.filter((name) => !CONFIG_VARIABLES.includes(name)), service).toEqual([]);
    }
  });

  it('requires LOG_ORIGIN, and with the README’s .env gives a registry that starts with its key and pinned origin', () => {
    const dotEnv = documentedDotEnv();
    expect(Object.keys(dotEnv).sort()).toEqual(['LOG_ORIGIN', 'POSTGRES_PASSWORD', 'PUBLIC_URL']);
    const { LOG_ORIGIN: _origin, ...withoutOrigin } = dotEnv;
    expect(() => interpolateAll(COMPOSE, withoutOrigin)).toThrow(/^LOG_ORIGIN: /);

    const compose = interpolateAll(COMPOSE, dotEnv) as Node;
    const environment = compose['services']['registry']['environment'] as Record<string, string>;
    // The secret, where compose puts it: a seed as `openssl rand -base64 32 | tr …` writes it.
    const secret = join(mkdtempSync(join(tmpdir(), 'peerkeys-compose-')), 'log_signing_key');
    writeFileSync(secret, `${Buffer.alloc(32, 9).toString('base64url')}\n`);
    const config = readConfig({ ...environment, LOG_SIGNING_KEY_FILE: secret });
    expect(config.database.kind).toBe('postgres');
    expect(config.log.origin).toBe(dotEnv['LOG_ORIGIN']);
    expect(loadLogKey(config.log).vkey.startsWith(`${dotEnv['LOG_ORIGIN']}+`)).toBe(true);
    // A later PUBLIC_URL (a new domain) does not move the origin clients pinned.
    const moved = interpolateAll(COMPOSE, { ...dotEnv, PUBLIC_URL: 'https://keys.example.net' }) as Node;
    expect(readConfig({ ...moved['services']['registry']['environment'], LOG_SIGNING_KEY_FILE: secret }).log.origin).toBe(dotEnv['LOG_ORIGIN']);
    // The published port is the one the registry listens on, whatever PORT says.
    for (const port of [undefined, '9000']) {
      const services = (interpolateAll(COMPOSE, port === undefined ? dotEnv : { ...dotEnv, PORT: port }) as Node)['services'];
      const listening = readConfig({ ...services['registry']['environment'], LOG_SIGNING_KEY_FILE: secret }).http.port;
      expect(services['registry']['ports']).toEqual([`127.0.0.1:${listening}:${listening}`]);
    }
  });

  it('has an optional witness (a profile) that sets only variables the witness reads and keeps its state in a volume', () => {
    const witness = COMPOSE['services']['witness'];
    expect(witness['profiles']).toEqual(['witness']);
    expect(Object.keys(witness['environment']).filter((name) => !WITNESS_VARIABLES.includes(name))).toEqual([]);
    expect(witness['volumes']).toEqual(['witness-data:/data']);
    const environment = (interpolateAll(COMPOSE, { ...documentedDotEnv(), WITNESS_LOGS: 'the-registry-vkey' }) as Node)['services']['witness']['environment'];
    expect(environment['WITNESS_DATA_DIR']).toBe('/data');
    expect(Object.keys(COMPOSE['services']).sort()).toEqual(['postgres', 'postgres-replica', 'proxy', 'redis', 'registry', 'registry-1', 'registry-2', 'witness']);
  });

  describe('the replicas profile: two registry processes behind one proxy', () => {
    const services = () => (interpolateAll(COMPOSE, documentedDotEnv()) as Node)['services'] as Node;
    const proxyConfig = () => {
      const mounted = COMPOSE['services']['proxy']['configs'] as Array<{ source: string; target: string }>;
      expect(mounted.map((config) => config.target)).toEqual(['/etc/nginx/conf.d/default.conf']);
      return interpolate(COMPOSE['configs'][mounted[0]!.source]['content'] as string, {});
    };
    const secretFile = () => {
      const file = join(mkdtempSync(join(tmpdir(), 'peerkeys-compose-')), 'log_signing_key');
      writeFileSync(file, `${Buffer.alloc(32, 9).toString('base64url')}\n`);
      return file;
    };

    it('is a profile of its own: a plain `docker compose up` starts none of it', () => {
      for (const service of ['postgres-replica', 'redis', ...REPLICAS, 'proxy']) expectWith(COMPOSE['services'][service]['profiles'], service).toEqual(['replicas']);
      expect(COMPOSE['services']['registry']['profiles']).toBeUndefined();
    });

    it('runs the registry’s image on the same Postgres, the same Redis and the same log key and origin, one proxy hop behind', () => {
      const all = services();
      const key = secretFile();
      const configs = REPLICAS.map((replica) => {
        const service = all[replica];
        expectWith(service['build'], replica).toBe(all['registry']['build']);
        expectWith(service['secrets'], replica).toEqual(['log_signing_key']);
        expectWith(service['healthcheck'], replica).toEqual(all['registry']['healthcheck']);
        expectWith(service['environment']['LOG_SIGNING_KEY_FILE'], replica).toBe('/run/secrets/log_signing_key');
        expectWith(Object.keys(service['depends_on']).sort(), replica).toEqual(replica === 'registry-1' ? ['postgres', 'postgres-replica', 'redis'] : ['redis', 'registry-1']);
        // Reached through the proxy only.
        expectWith(service['ports'], replica).toBeUndefined();
        return readConfig({ ...service['environment'], LOG_SIGNING_KEY_FILE: key });
      });
      const registry = readConfig({ ...all['registry']['environment'], LOG_SIGNING_KEY_FILE: key });
      for (const config of configs) {
        // The same database as the single registry's, and lookups from the replica of it.
        expect(config.database).toEqual({ ...registry.database, readUrl: (registry.database as { url: string }).url.replace('@postgres:', '@postgres-replica:') });
        expect(config.log).toEqual(registry.log);
        expect(config.http.publicUrl).toBe(registry.http.publicUrl);
        expect(config.http.trustProxy).toBe(1);
        expect(config.rateLimits.redisUrl).toBe('redis://redis:6379');
      }
      expect(configs[1]).toEqual(configs[0]);
      expect(loadLogKey(configs[0]!.log).vkey).toBe(loadLogKey(registry.log).vkey);
    });

    it('does not wait for the read replica to be healthy: lookups read the primary until it is', () => {
      expect(services()['registry-1']['depends_on']['postgres-replica']).toEqual({ condition: 'service_started' });
    });

    it('reads lookups from a streaming replica of the same Postgres, made with pg_basebackup -R and a replication slot once its volume is new', () => {
      const all = services();
      const replica = all['postgres-replica'];
      expect(replica['image']).toBe(all['postgres']['image']);
      expect(replica['depends_on']).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(replica['volumes']).toEqual(['postgres-replica-data:/var/lib/postgresql/data']);
      expect(replica['environment']['PGPASSWORD']).toBe(all['postgres']['environment']['POSTGRES_PASSWORD']);
      const script = (replica['command'] as string[]).join('\n');
      expect(script).toMatch(/if \[ ! -s "\$PGDATA\/PG_VERSION" \]; then\s+pg_basebackup -h postgres -U peerkeys -D "\$PGDATA" -R -X stream -C -S peerkeys_replica /);
      expect(script).toMatch(/exec postgres\s*$/);
      // The primary lets its owner replicate, from the compose network only: the init script the postgres image runs on a new volume.
      const mounted = all['postgres']['configs'] as Array<{ source: string; target: string }>;
      expect(mounted).toEqual([{ source: 'postgres_replication', target: '/docker-entrypoint-initdb.d/replication.sh' }]);
      expect(interpolate(COMPOSE['configs']['postgres_replication']['content'] as string, {})).toBe('echo "host replication $POSTGRES_USER samenet scram-sha-256" >> "$PGDATA/pg_hba.conf"\n');
    });

    it('puts nginx in front of both, round robin, passing X-Forwarded-For, once both are ready', () => {
      const proxy = services()['proxy'];
      expect(proxy['image']).toMatch(/^nginx:[\d.]+-alpine$/);
      expect(proxy['depends_on']).toEqual({ 'registry-1': { condition: 'service_healthy' }, 'registry-2': { condition: 'service_healthy' } });
      expect(proxy['healthcheck']['test']).toContain('http://127.0.0.1:8080/healthz');
      expect(proxy['ports']).toEqual(['127.0.0.1:8088:8080']);
      const nginx = proxyConfig();
      expect(nginx).toContain('listen 8080;');
      // No balancing directive: nginx's default, round robin, over exactly the two replicas.
      const upstream = /upstream peerkeys \{([^}]*)\}/.exec(nginx)![1]!;
      expect([...upstream.matchAll(/server (\S+?):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`)).toEqual(REPLICAS.map((replica) => `${replica}:8080`));
      expect(upstream).not.toMatch(/least_conn|ip_hash|hash |random/);
      expect(nginx).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
      expect(nginx).not.toContain('proxy_next_upstream non_idempotent');
    });

    it('writes nginx’s variables so compose leaves them alone', () => {
      // Compose interpolates `$name` too: every `$` nginx should see is written `$$`.
      const raw = COMPOSE['configs']['proxy_conf']['content'] as string;
      expect(raw.replace(/\$\$/g, '')).not.toContain('$');
      expect(raw).toContain('$$proxy_add_x_forwarded_for');
    });

    it('caches only immutable responses, and only under the tile path', () => {
      const nginx = proxyConfig();
      expect(nginx.match(/proxy_cache \S+;/g)).toHaveLength(1);
      const tiles = new RegExp(`location ${TILE_PREFIX}/tile/ \\{([^}]*)\\}`).exec(nginx);
      expectWith(tiles, nginx).not.toBeNull();
      expect(tiles![1]).toMatch(/proxy_cache peerkeys_tiles;/);
      expect(tiles![1]).toContain('proxy_no_cache $peerkeys_mutable;');
      expect(nginx).toMatch(/map \$upstream_http_cache_control \$peerkeys_mutable \{\s*~\*immutable 0;\s*default 1;\s*\}/);
      // Evaluated before the response, the map would bypass the cache for every request.
      expect(nginx).not.toContain('proxy_cache_bypass');
    });

    it('keeps /metrics from the world', () => {
      const metrics = /location ~\* (\S+) \{\s*return 404;/.exec(proxyConfig());
      expect(metrics).not.toBeNull();
      const pattern = new RegExp(metrics![1]!, 'i');
      for (const path of ['/metrics', '/Metrics', '/metrics/']) expectWith(pattern.test(path), path).toBe(true);
      expect(pattern.test('/v1/log/tile/0/000')).toBe(false);
    });

    it('is in the README, with the command that starts it', () => {
      expect(README).toContain('docker compose --profile replicas up');
    });
  });

  it('gives every registry process the grace period its graceful stop may take (README, "Stopping"), not Docker’s 10 s', () => {
    for (const name of ['registry', 'registry-1', 'registry-2']) expect(COMPOSE['services'][name]['stop_grace_period']).toBe('60s');
    expect(README).toContain('stop_grace_period');
  });

  it('checks health as the image does, with the probe that follows PORT and TLS', () => {
    const healthcheck = COMPOSE['services']['registry']['healthcheck'];
    expect(healthcheck['test']).toEqual(['CMD', 'node', 'dist/healthcheck.js']);
    expect(DOCKERFILE).toContain('CMD ["node", "dist/healthcheck.js"]');
  });
});

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(): Array<{ keyword: string; args: string }> {
  return DOCKERFILE.replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  it('builds on the current Node LTS, 24, in every stage', () => {
    const bases = instructions().filter((i) => i.keyword === 'FROM').map((i) => i.args.split(' ')[0]);
    expect(bases.length).toBe(2);
    for (const base of bases) expect(base).toMatch(/^node:24(\.\d+)*-bookworm-slim$/);
  });

  it('declares no VOLUME, runs as the unprivileged node user, and checks its health with the probe', () => {
    const all = instructions();
    expect(all.filter((i) => i.keyword === 'VOLUME')).toEqual([]);
    const user = all.findLastIndex((i) => i.keyword === 'USER');
    expect(all[user]!.args).toBe('node');
    expect(user).toBeLessThan(all.findIndex((i) => i.keyword === 'CMD'));
    expect(all.find((i) => i.keyword === 'HEALTHCHECK')!.args).toMatch(/ CMD \["node", "dist\/healthcheck\.js"\]$/);
  });

  it("runs the server with the Node options and environment of npm start's (src/server-process.ts)", () => {
    const all = instructions();
    const cmd = JSON.parse(all.findLast((i) => i.keyword === 'CMD')!.args) as string[];
    expect(cmd).toEqual(['node', ...SERVER_NODE_OPTIONS, 'dist/cli/peerkeys.js', 'serve']);
    // ENV NAME=value …, in the final stage (after the last FROM); no value here holds a space.
    const finalStage = all.slice(all.findLastIndex((i) => i.keyword === 'FROM'));
    const env = Object.fromEntries(finalStage.filter((i) => i.keyword === 'ENV').flatMap((i) => i.args.split(' ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])));
    expect(env).toMatchObject(SERVER_ENV);
  });
});

/**
 * The build context docker sends, under .dockerignore's rules (moby's patternmatcher, as the
 * Dockerfile reference describes them): patterns in order, the last one matching a path or any
 * of its parent folders decides, `!` re-includes; `*` and `?` stay within one path segment, `**`
 * spans any number of them; a leading `/` is dropped.
 */
class DockerIgnore {
  private readonly patterns: Array<{ exclude: boolean; regex: RegExp }>;

  constructor(text: string) {
    this.patterns = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const include = line.startsWith('!');
        const pattern = (include ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
        let source = '';
        for (let i = 0; i < pattern.length; i++) {
          const c = pattern[i]!;
          if (c === '*' && pattern[i + 1] === '*') {
            source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
            i += pattern[i + 2] === '/' ? 2 : 1;
          } else if (c === '*') source += '[^/]*';
          else if (c === '?') source += '[^/]';
          else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        }
        return { exclude: !include, regex: new RegExp(`^${source}$`) };
      });
  }

  excludes(path: string): boolean {
    const segments = path.split('/');
    const candidates = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { exclude, regex } of this.patterns) if (candidates.some((candidate) => regex.test(candidate))) excluded = exclude;
    return excluded;
  }
}

/** Every file under the worktree, as paths relative to it (node_modules and .git summarised by one file each). */
function worktreeFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || entry.name === '.git') out.push(`${relative(ROOT, path)}/x`);
        else walk(path);
      } else out.push(relative(ROOT, path));
    }
  };
  walk(ROOT);
  return out;
}

describe('.dockerignore', () => {
  const ignore = new DockerIgnore(read('.dockerignore'));

  it('leaves out dependencies, builds, environment files, keys and data', () => {
    const leftOut = [
      'node_modules/express/package.json',
      '.env',
      '.env.production',
      'data/log-signing-key',
      'data/pglite/base/1/1259',
      'mirror-data/PG_VERSION',
      'secrets/log-signing-key',
      'dist/main.js',
      '.git/HEAD',
      'test/unit/config.test.ts',
      'coverage/index.html',
      'src/db/generated/client.ts',
      'src/.env',
      'src/server/tls/key.pem',
      'prisma/.env',
    ];
    expect(leftOut.filter((path) => !ignore.excludes(path))).toEqual([]);
  });

  it('keeps every file the Dockerfile copies from the context', () => {
    const sources = instructions()
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    expect(sources.sort()).toEqual(['openapi.yaml', 'package-lock.json', 'package.json', 'package-lock.json', 'package.json', 'prisma', 'prisma', 'src', 'tsconfig.json'].sort());
    const files = worktreeFiles();
    for (const source of new Set(sources)) {
      const under = files.filter((file) => file === source || file.startsWith(`${source}/`));
      expectWith(under.length, source).toBeGreaterThan(0);
      const kept = under.filter((file) => !ignore.excludes(file));
      expectWith(kept.length, source).toBeGreaterThan(0);
      // Of what the Dockerfile copies, only generated code is left out.
      expectWith(under.filter((file) => ignore.excludes(file) && !file.startsWith('src/db/generated/')), source).toEqual([]);
    }
  });

  it('sends none of this worktree’s node_modules, dist, .env or data', () => {
    const sent = worktreeFiles().filter((file) => !ignore.excludes(file));
    expect(sent.filter((file) => /^(node_modules|dist|data|\.git|test|docs)\//.test(file) || /(^|\/)\.env$/.test(file))).toEqual([]);
    expect(sent.length).toBeGreaterThan(50);
  });
});
