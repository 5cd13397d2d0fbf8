// The acceptance load of issue 13, part 2: one identity founds 1,000 groups of the largest size
// (500 members, about 88 KB a record); then four concurrent loops ask for
// GET /v1/log/entries?start=300&limit=1000 — each loop one request at a time, for
// RESPONSE_BOUNDS_LOAD_SECONDS — while /healthz is sampled and the server's resident memory is
// read. Before responses were bounded by bytes, each answer was 82 MB and the server went to
// 1.5 GB with /healthz at 1.8 s (p50). The registry runs as a child process, so the memory is its
// own; rate limits are off, so the bounds under test are the only ones.
//
// Long, and its assertions are timed: it runs only under `npm run test:long` (which sets
// RESPONSE_BOUNDS_LOAD_SECONDS), never in the default `npm test`.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fastGenesis, fastGroupGenesis, fastMembers, type FastIdentity } from '../bench/fast-records.js';
import { startChildRegistry, type ChildRegistry } from '../helpers/child-registry.js';
import { expectWith } from '../helpers/expect-with.js';

const SECONDS = Number(process.env['RESPONSE_BOUNDS_LOAD_SECONDS'] ?? '0');
const GROUPS = Number(process.env['RESPONSE_BOUNDS_LOAD_GROUPS'] ?? '1000');
const LOOPS = 4;
const PATH = '/v1/log/entries?start=300&limit=1000';
const HEALTHZ_P99_MS = 100;
const RSS_LIMIT_BYTES = 600 * 1024 * 1024;

interface Timed {
  status: number;
  bytes: number;
  ms: number;
}

/** One GET on `agent`, its body counted and dropped. */
function get(agent: http.Agent, url: string): Promise<Timed> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

(SECONDS > 0 ? describe : describe.skip)(`${LOOPS} loops of GET ${PATH} over ${GROUPS} maximum-size group records`, () => {
  let registry: ChildRegistry;

  beforeAll(async () => {
    registry = await startChildRegistry();
    const founder: FastIdentity = fastGenesis();
    const registered = await fetch(`${registry.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(founder.head) });
    expect(registered.status).toBe(201);
    // The same 499 members in every group: the records are as large as records get either way.
    const members = fastMembers(499);
    const name = 'g'.repeat(128);
    // Distinct times, a millisecond apart at least (a self-certifying groupId is derived from the
    // founder's key and the time), and each near the server's clock however long this takes.
    let time = 0;
    let next = 0;
    const writer = async () => {
      for (let i = next++; i < GROUPS; i = next++) {
        time = Math.max(Date.now(), time + 1);
        const record = fastGroupGenesis(founder, name, members, time);
        const reply = await fetch(`${registry.url}/v1/groups`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) });
        expectWith(reply.status, `group ${i}: ${await reply.text()}`).toBe(201);
      }
    };
    await Promise.all(Array.from({ length: 4 }, writer));
  }, 1_800_000);

  afterAll(async () => {
    await registry?.stop();
  }, 120_000);

  it(`keeps /healthz p99 under ${HEALTHZ_P99_MS} ms and the server under ${RSS_LIMIT_BYTES / 2 ** 20} MB`, async () => {
    const rssBefore = registry.rss();
    const cpuBefore = registry.cpuMs();
    let peakRss = rssBefore;
    const memory = setInterval(() => (peakRss = Math.max(peakRss, registry.rss())), 100);
    const deadline = Date.now() + SECONDS * 1000;

    const pages: Timed[] = [];
    const loop = async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (Date.now() < deadline) pages.push(await get(agent, registry.url + PATH));
      } finally {
        agent.destroy();
      }
    };
    const health: Timed[] = [];
    const sampler = async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (Date.now() < deadline) {
          health.push(await get(agent, `${registry.url}/healthz`));
          await pause(20);
        }
      } finally {
        agent.destroy();
      }
    };
    try {
      await Promise.all([...Array.from({ length: LOOPS }, loop), sampler()]);
    } finally {
      clearInterval(memory);
    }
    peakRss = Math.max(peakRss, registry.rss());
    // What a page costs the server, whatever else runs on the machine.
    const cpuMs = registry.cpuMs() - cpuBefore;

    const latencies = health.map((h) => h.ms).sort((a, b) => a - b);
    const pageMs = pages.map((p) => p.ms).sort((a, b) => a - b);
    const summary = {
      seconds: SECONDS,
      groups: GROUPS,
      pages: pages.length,
      pageBytes: pages[0]?.bytes ?? 0,
      pageMs: { p50: Math.round(percentile(pageMs, 50)), p99: Math.round(percentile(pageMs, 99)) },
      serverCpuMsPerPage: Math.round(cpuMs / Math.max(1, pages.length)),
      healthz: { samples: latencies.length, p50: +percentile(latencies, 50).toFixed(1), p99: +percentile(latencies, 99).toFixed(1), max: +latencies[latencies.length - 1]!.toFixed(1) },
      rssMb: { before: Math.round(rssBefore / 2 ** 20), peak: Math.round(peakRss / 2 ** 20) },
    };
    console.log(`response bounds under load: ${JSON.stringify(summary)}`);

    expectWith([...new Set(pages.map((p) => p.status))], JSON.stringify(summary)).toEqual([200]);
    expectWith([...new Set(health.map((h) => h.status))], JSON.stringify(summary)).toEqual([200]);
    expectWith(summary.healthz.p99, JSON.stringify(summary)).toBeLessThan(HEALTHZ_P99_MS);
    expectWith(peakRss, JSON.stringify(summary)).toBeLessThan(RSS_LIMIT_BYTES);
  }, 600_000);
});
