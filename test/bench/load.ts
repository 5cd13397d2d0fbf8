/**
 * Load with autocannon at 32 connections, and the requests a benchmark sends: lookups of random
 * seeded identities, writes prepared ahead (creates and rotations, signed before the clock starts
 * so the bench's own signing does not compete with the server for the two cores), and tiles.
 * Several base URLs share the connections round-robin (one registry process or two).
 */
import autocannon from 'autocannon';
import { formatTilePath, tileWidthAt, TILE_WIDTH } from '../../src/protocol/tiles.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { fastGenesis, fastRotation, type FastIdentity } from './fast-records.js';

export const CONNECTIONS = 32;
export const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);
/**
 * Writes prepared for a write phase, per second of it: a server faster than this finishes its
 * writes early, and its rate is still measured over the time they took.
 */
const PREPARED_WRITES_PER_SECOND = Number(process.env['BENCH_WRITES_PER_SECOND'] ?? 2000);

export interface Phase {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  ok: number;
  notOk: number;
}

export async function load(name: string, options: autocannon.Options): Promise<Phase> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  return {
    name,
    requestsPerSecond: Math.round(result.requests.total / Math.max(result.duration, 0.001)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    notOk: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * autocannon takes several URLs and gives each connection the next one round-robin (lib/run.js,
 * initialiseClients); its types know only one.
 */
function urls(bases: string[]): string {
  return bases as unknown as string;
}

/** GETs of the paths `next()` gives, spread over `bases`. */
export function gets(bases: string[], next: () => string, headers: Record<string, string> = {}): autocannon.Options {
  return { url: urls(bases), requests: [{ method: 'GET', headers, setupRequest: (r) => ({ ...r, path: next() }) }] };
}

/** Lookups of random identities among `ids`. */
export function lookups(bases: string[], ids: string[]): autocannon.Options {
  return gets(bases, () => `/v1/users/${ids[Math.floor(Math.random() * ids.length)]!}`);
}

/**
 * Random full tiles of the log of `size`, as a mirror or auditor reads them: level-0 hash tiles
 * and entry bundles (gzip accepted, as fetch does), half each. Logs under 256 entries have none.
 */
export function tiles(bases: string[], size: number): autocannon.Options {
  const full = Math.floor(size / TILE_WIDTH);
  if (tileWidthAt(0, 0, size) < TILE_WIDTH) throw new Error(`a log of ${size} entries has no full tile`);
  let n = 0;
  return gets(
    bases,
    () => `/v1/log/${formatTilePath({ level: n++ % 2 === 0 ? 0 : 'entries', index: Math.floor(Math.random() * full), width: TILE_WIDTH })}`,
    { 'accept-encoding': 'gzip' },
  );
}

/** One write to send, whether it was sent and answered, and what to remember once it is acknowledged (2xx). */
interface PreparedWrite {
  path: string;
  body: string;
  sent: boolean;
  answered: boolean;
  accepted?(): void;
}

function prepared(path: string, body: unknown, accepted?: () => void): PreparedWrite {
  return { path, body: JSON.stringify(body), sent: false, answered: false, ...(accepted === undefined ? {} : { accepted }) };
}

/** A connection's context: the write it has in flight (one at a time, no pipelining). */
interface WriteContext {
  write: PreparedWrite;
}

/** `writes` POSTed once each, in order, spread over `bases`, for at most SECONDS. */
function posts(bases: string[], writes: PreparedWrite[]): autocannon.Options {
  let next = 0;
  return {
    url: urls(bases),
    maxOverallRequests: writes.length,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req, context) => {
          const write = writes[next++ % writes.length]!;
          write.sent = true;
          (context as WriteContext).write = write;
          return { ...req, path: write.path, body: write.body };
        },
        onResponse: (status, _body, context) => {
          const { write } = context as WriteContext;
          write.answered = true;
          if (status >= 200 && status < 300) write.accepted?.();
        },
      },
    ],
  };
}

function preparedCount(): number {
  return Math.max(CONNECTIONS, Math.ceil(SECONDS * PREPARED_WRITES_PER_SECOND));
}

/** New identities (POST /v1/users), enough for a phase. */
export function creates(bases: string[]): autocannon.Options {
  return posts(
    bases,
    Array.from({ length: preparedCount() }, () => prepared('/v1/users', fastGenesis().head)),
  );
}

/**
 * Rotations of the seeded identities, round-robin, each chained on the last one the registry
 * acknowledged: an identity comes round again only after every other one, long after its last
 * rotation was answered. An identity whose rotation went unanswered when a phase stopped is left
 * out from then on: whether the registry took it is unknown.
 */
export class Rotations {
  private cursor = 0;
  private readonly uncertain = new Set<FastIdentity>();

  constructor(private readonly identities: FastIdentity[]) {}

  /** Options for one phase, and `settle` to call after it. */
  phase(bases: string[]): { options: autocannon.Options; settle(): void } {
    const latest = new Map<FastIdentity, IdentityRecord>();
    const writes: Array<{ identity: FastIdentity; write: PreparedWrite }> = [];
    const count = Math.min(preparedCount(), (this.identities.length - this.uncertain.size) * 4);
    while (writes.length < count) {
      const identity = this.identities[this.cursor++ % this.identities.length]!;
      if (this.uncertain.has(identity)) continue;
      const record = fastRotation({ ...identity, head: latest.get(identity) ?? identity.head });
      latest.set(identity, record);
      const accepted = () => {
        if (record.seq > identity.head.seq) identity.head = record;
      };
      writes.push({ identity, write: prepared(`/v1/users/${record.userId}`, record, accepted) });
    }
    return {
      options: posts(bases, writes.map((w) => w.write)),
      settle: () => {
        for (const { identity, write } of writes) if (write.sent && !write.answered) this.uncertain.add(identity);
      },
    };
  }
}
