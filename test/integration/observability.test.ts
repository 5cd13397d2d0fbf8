// What an operator sees: Prometheus metrics that count what happened, and logs with request ids
// and no secrets.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readConfig } from '../../src/config.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { RegistryService } from '../../src/service.js';
import { api } from '../helpers/http.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { newIdentity, nextRecord } from '../helpers/identities.js';

let database: TestDatabase;
let service: RegistryService;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  database = await openTestDatabase();
  const config = readConfig({ PORT: '0', RATE_LIMITS: 'off', LOG_ORIGIN: 'test.example/peerkeys' });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  service = await RegistryService.create(config, { database: database.db, logKey: logKeyFromSeed(config.log.origin, new Uint8Array(32).fill(9)), logger: pino({ level: 'debug' }, sink) });
}, 120_000);
afterAll(async () => {
  await service.destroy();
  await database.close();
}, 120_000);

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((label) => l.includes(label)));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('/metrics', () => {
  it('counts requests per route pattern, writes, refusals by code and the log size', async () => {
    const client = api(service.app);
    const alice = await newIdentity();
    expect((await client.post('/v1/users', alice.head)).status).toBe(201);
    const update = await nextRecord(alice);
    expect((await client.post(`/v1/users/${alice.userId}`, { ...update, sig: (await nextRecord(alice, { name: 'x' })).sig })).status).toBe(422);
    await client.get(`/v1/users/${alice.userId}`);
    await client.get('/v1/users/0000000000zzzzzzzzzzzzzzz');

    const reply = await client.get('/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('text/plain');
    const text = reply.text;
    expect(metric(text, 'peerkeys_http_requests_total', 'route="/v1/users/:userId",method="GET",status="200"')).toBe(1);
    expect(metric(text, 'peerkeys_http_requests_total', 'route="/v1/users/:userId",method="GET",status="404"')).toBe(1);
    expect(text).not.toContain(alice.userId); // labels carry patterns, never ids
    expect(metric(text, 'peerkeys_refused_total', 'code="BAD_SIGNATURE"')).toBe(1);
    expect(metric(text, 'peerkeys_refused_total', 'code="NOT_FOUND"')).toBe(1);
    expect(metric(text, 'peerkeys_log_appended_total', 'kind="identity"')).toBe(1);
    expect(text).toMatch(/^peerkeys_log_size 1$/m);
    expect(text).toMatch(/^peerkeys_http_request_duration_seconds_bucket\{/m);
  });
});

describe('logs', () => {
  it('are JSON lines with a request id per request, echoed to the client, and no keys or signatures', async () => {
    const client = api(service.app);
    const bob = await newIdentity();
    const reply = await client.post('/v1/users', bob.head, { 'x-request-id': 'trace-123' });
    expect(reply.headers.get('x-request-id')).toBe('trace-123');
    const bad = await client.post('/v1/users', { ...bob.head, sig: 'x' });
    const line = lines.find((l) => l['requestId'] === 'trace-123');
    expect(line).toMatchObject({ method: 'POST', path: '/v1/users', status: 201 });
    expect(lines.find((l) => l['requestId'] === bad.body.requestId)).toMatchObject({ status: 400, code: 'INVALID_RECORD' });
    const all = JSON.stringify(lines);
    for (const secret of [bob.head.sig, bob.head.publicKeyProof, bob.head.publicKey, bob.rotation[0]!.publicKey]) expect(all).not.toContain(secret);
  });
});
