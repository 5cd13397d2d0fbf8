// A client that sends a request and resets the connection at once (DESIGN.md §6: no client action
// produces a 5xx). Once the socket is gone Node no longer knows the peer's address (req.ip is
// undefined), and a per-address rate limiter asked for it afterwards threw: every such request was
// a 500 INTERNAL with a stack trace at error level. Two hundred of them across read and write
// endpoints must leave no 5xx in /metrics and no error-level line in the log.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readConfig } from '../../src/config.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { RegistryService } from '../../src/service.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { createDeviceRecord } from '../../src/sdk/records.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { foundGroup, registeredPerson } from '../helpers/groups.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord } from '../helpers/identities.js';
import { observedServer, rawRequest, reset, send, unreadConnection, type ObservedServer, type RawRequest } from '../helpers/raw-http.js';

const RESETS = 200;
const AT_ONCE = 10;
const HALF_SENT = 100;

interface LogLine {
  level: number;
  msg?: string;
}

describe('requests whose client resets the connection at once', () => {
  let database: TestDatabase;
  let service: RegistryService;
  let server: ObservedServer;
  const logged: LogLine[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    const config = readConfig({
      PORT: '0',
      LOG_ORIGIN: 'test.example/peerkeys',
      // Rate limits on, as deployed; budgets large enough that every request reaches its handler.
      RATE_LIMITS: 'on',
      RATE_LIMIT_IP_READS: '100000/1m',
      RATE_LIMIT_IP_WRITES: '100000/1m',
    });
    service = await RegistryService.create(config, {
      database: database.db,
      logKey: logKeyFromSeed(config.log.origin, new Uint8Array(randomBytes(32))),
      logger: pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as LogLine) }),
    });
    server = await observedServer(service.app);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await service?.destroy();
    await database?.close();
  }, 120_000);

  /** What /metrics counts as answered with a 5xx so far, and how many error-level lines were logged. */
  async function serverFaults(): Promise<{ fiveHundreds: string[]; errorLines: LogLine[] }> {
    const metrics = await api(server.url).get('/metrics');
    expect(metrics.status).toBe(200);
    const counted = metrics.text.split('\n').filter((line) => line.startsWith('peerkeys_http_requests_total{'));
    expect(counted.length).toBeGreaterThan(0);
    return { fiveHundreds: counted.filter((line) => /status="5\d\d"/.test(line)), errorLines: logged.filter((line) => line.level >= 50) };
  }

  it('200 resets right after the request, across read and write endpoints: no 5xx counted in /metrics, no error-level log line', async () => {
    const client = api(server.url);
    const alice = await newIdentity();
    expect((await client.post('/v1/users', alice.head)).status).toBe(201);
    const founder = await registeredPerson(server.url, 'founder');
    const group = await foundGroup(founder, 'a group');
    expect((await client.post('/v1/groups', group)).status).toBe(201);

    const json = (value: unknown) => JSON.stringify(value);
    const requests: RawRequest[] = [
      { method: 'GET', path: `/v1/users/${alice.userId}` },
      { method: 'GET', path: `/v1/users/${alice.userId}/log` },
      { method: 'GET', path: `/v1/users/${alice.userId}/devices` },
      { method: 'GET', path: `/v1/groups/${group.groupId}` },
      { method: 'GET', path: '/v1/log/checkpoint' },
      { method: 'GET', path: '/v1/log/entries?start=0&limit=10' },
      { method: 'GET', path: '/v1/log/proof/inclusion?index=0&size=2' },
      { method: 'GET', path: '/v1/registry' },
      { method: 'GET', path: `/u/${alice.userId}` },
      { method: 'GET', path: '/assets/page.js' },
      { method: 'POST', path: '/v1/users', body: json((await newIdentity()).head) },
      { method: 'POST', path: `/v1/users/${alice.userId}`, body: json(await nextRecord(alice, { signingKey: generateSigningKeyPair() })) },
      { method: 'POST', path: `/v1/users/${alice.userId}`, body: '{}' },
      { method: 'PUT', path: `/v1/users/${alice.userId}/devices/${newPeersId()}`, body: json(await createDeviceRecord({ userId: alice.userId, addresses: ['10.0.0.1:5000'], signingKey: alice.signing })) },
      { method: 'POST', path: '/v1/groups', body: json(await foundGroup(founder, 'another group')) },
      { method: 'POST', path: `/v1/groups/${group.groupId}`, body: '{}' },
    ];

    const before = await serverFaults();
    const handled = server.endedSoFar() + RESETS;
    const hangUp = async (request: RawRequest) => {
      const socket = await unreadConnection(server.port);
      await send(socket, rawRequest(request));
      await reset(socket);
    };
    for (let i = 0; i < RESETS; i += AT_ONCE) {
      await Promise.all(Array.from({ length: AT_ONCE }, (_, j) => hangUp(requests[(i + j) % requests.length]!)));
    }
    // Every request was handled to its end (its response ended, though nobody was there to get it).
    await server.responsesEnded(handled);
    expect(await serverFaults()).toEqual(before);
  });

  it('100 writes reset halfway through their bodies, after the server took them: no 5xx, no error-level log line', async () => {
    const alice = await newIdentity();
    const paths = [
      { method: 'POST', path: '/v1/users' },
      { method: 'POST', path: `/v1/users/${alice.userId}` },
      { method: 'PUT', path: `/v1/users/${alice.userId}/devices/${newPeersId()}` },
      { method: 'POST', path: '/v1/groups' },
      { method: 'POST', path: `/v1/groups/${newPeersId()}` },
    ];
    const body = JSON.stringify(alice.head);
    const before = await serverFaults();
    const handled = server.endedSoFar() + HALF_SENT;
    for (let i = 0; i < HALF_SENT; i += AT_ONCE) {
      const arrived = server.arrivedSoFar() + AT_ONCE;
      const sockets = await Promise.all(
        Array.from({ length: AT_ONCE }, async (_, j) => {
          const socket = await unreadConnection(server.port);
          const text = rawRequest({ ...paths[(i + j) % paths.length]!, body });
          await send(socket, text.slice(0, text.length - Math.floor(body.length / 2)));
          return socket;
        }),
      );
      // The server has the requests (their addresses were known, then) and is reading the bodies.
      await server.requestsArrived(arrived);
      await Promise.all(sockets.map(reset));
    }
    await server.responsesEnded(handled);
    expect(await serverFaults()).toEqual(before);
  });
});
