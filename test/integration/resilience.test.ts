// The registry under faults: its database restarting mid-load, clients vanishing mid-request,
// clients too slow to be worth waiting for, and a shutdown with requests in flight.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase } from '../../src/db/database.js';
import { auditLog } from '../../src/db/log-audit.js';
import { recordHash } from '../../src/protocol/signing.js';
import { api } from '../helpers/http.js';
import { newIdentity } from '../helpers/identities.js';
import { CAN_RUN_PRIVATE_POSTGRES, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { startTestRegistry, useTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';
import { waitFor } from '../helpers/wait.js';

const RESTART_SECONDS = Number(process.env['RESILIENCE_DOWN_SECONDS'] ?? 3);

(!CAN_RUN_PRIVATE_POSTGRES ? describe.skip : describe)('Postgres restarted in the middle of a write load', () => {
  let postgres: PrivatePostgres;
  let registry: TestRegistry;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    const db = await openDatabase({ kind: 'postgres', url: postgres.url, poolSize: 10 });
    const { migrate } = await import('../../src/db/migrate.js');
    await migrate(db);
    registry = await startTestRegistry({ database: { db, url: postgres.url, schema: null, close: () => db.close() } });
  }, 120_000);
  afterAll(async () => {
    await registry?.close();
    await registry?.database.close();
    postgres?.destroy();
  }, 120_000);

  it('answers 503 while it is down, recovers by itself, loses no acknowledged write, and verify-log passes', async () => {
    const client = api(registry.url);
    const acknowledged = new Map<string, string>(); // userId → record hash
    const statuses = new Map<number, number>();
    let running = true;
    let readyWhileDown: number | null = null;

    const writer = async () => {
      while (running) {
        const identity = await newIdentity();
        const reply = await client.post('/v1/users', identity.head).catch(() => null);
        const status = reply?.status ?? 0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 201) acknowledged.set(identity.userId, recordHash(identity.head));
        else if (status !== 0) expectWith(reply!.body.code, `status ${status}`).toBe('UNAVAILABLE');
      }
    };
    const writers = Array.from({ length: 8 }, writer);

    // Some writes get in before the outage, and readiness notices it; then the database stays
    // down for RESILIENCE_DOWN_SECONDS (the fault under test) while the writers keep going.
    await waitFor(() => expect(acknowledged.size).toBeGreaterThanOrEqual(20), 30_000);
    const beforeOutage = acknowledged.size;
    postgres.stop();
    await waitFor(async () => expect((await client.get('/readyz')).status).toBe(503), 30_000).catch(() => {});
    readyWhileDown = (await client.get('/readyz')).status;
    await new Promise((r) => setTimeout(r, RESTART_SECONDS * 1000));
    postgres.start();
    // Keep writing until the registry has accepted writes again without being restarted itself.
    const afterOutage = acknowledged.size;
    await waitFor(() => expect(acknowledged.size).toBeGreaterThanOrEqual(afterOutage + 20), 30_000).catch(() => {});
    running = false;
    await Promise.all(writers);

    expect(beforeOutage).toBeGreaterThan(0);
    expect(readyWhileDown).toBe(503);
    expectWith(statuses.get(503) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
    expectWith([...statuses.keys()].every((s) => s === 201 || s === 503), JSON.stringify([...statuses])).toBe(true);
    expect(acknowledged.size).toBeGreaterThanOrEqual(afterOutage + 20);
    expect((await client.get('/readyz')).status).toBe(200);

    for (const [userId, hash] of acknowledged) {
      const lookup = await client.get(`/v1/users/${userId}`);
      expectWith(lookup.status, userId).toBe(200);
      expect(recordHash(lookup.body.entries[0].record)).toBe(hash);
    }
    const report = await auditLog(registry.database.db, registry.service.logKey);
    expect(report.problems).toEqual([]);
  }, 120_000);
});

describe('clients that misbehave', () => {
  // Raw sockets: these clients need a port.
  const registry = useTestRegistry({ listen: true, httpTimeouts: { headersMs: 1500, requestMs: 3000 } });

  const port = () => Number(new URL(registry.url).port);
  const logSize = async () => Number((await registry.api.get('/v1/log/checkpoint')).text.split('\n')[1]);

  it('a client that disconnects mid-body leaves no partial write', async () => {
    const before = await logSize();
    const identity = await newIdentity();
    const body = JSON.stringify(identity.head);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: port(), method: 'POST', path: '/v1/users', headers: { 'content-type': 'application/json', 'content-length': body.length } });
      req.on('error', () => resolve());
      req.write(body.slice(0, body.length / 2));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await logSize()).toBe(before);
    expect((await registry.api.get(`/v1/users/${identity.userId}`)).status).toBe(404);
    // The same record sent whole afterwards is accepted: nothing half-written stands in its way.
    expect((await registry.api.post('/v1/users', identity.head)).status).toBe(201);
    expect((await auditLog(registry.database.db, registry.service.logKey)).problems).toEqual([]);
  });

  it('cuts off a slow-loris client sending its headers a byte at a time, and one dribbling its body', async () => {
    const closedAfter = (send: (socket: net.Socket) => void) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const socket = new net.Socket();
        socket.connect(port(), '127.0.0.1', () => send(socket));
        socket.on('error', () => {});
        socket.on('close', () => resolve(Date.now() - started));
      });
    const slowHeaders = closedAfter((socket) => {
      const text = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ';
      let i = 0;
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(text[i++ % text.length]!)), 200);
    });
    const slowBody = closedAfter((socket) => {
      socket.write('POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(' ')), 200);
    });
    const [headersMs, bodyMs] = await Promise.all([slowHeaders, slowBody]);
    expect(headersMs).toBeLessThan(1500 + 2500);
    expect(bodyMs).toBeLessThan(3000 + 2500);
    expect((await registry.api.get('/healthz')).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('finishes the requests in flight, then stops', async () => {
    const registry = await startTestRegistry();
    const identity = await newIdentity();
    const body = Buffer.from(JSON.stringify(identity.head));
    // A write whose body is still arriving when the shutdown begins.
    const inFlight = new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: Number(new URL(registry.url).port), method: 'POST', path: '/v1/users', headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 100));
      setTimeout(() => req.end(body.subarray(100)), 700);
    });
    await new Promise((r) => setTimeout(r, 200));
    const stopped = registry.service.destroy();
    expect(await inFlight).toBe(201);
    await stopped;
    await expect(fetch(`${registry.url}/healthz`)).rejects.toThrow();
    await registry.database.close();
  });
});
