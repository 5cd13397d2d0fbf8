// The witness's POST /add-checkpoint (c2sp.org/tlog-witness), in process on an embedded database:
// the published litetlog requests replayed in order, then every refusal the spec names, hostile
// bodies, and racing requests.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { noteKey, parseSignedNote } from '../../src/protocol/checkpoint.js';
import { appendCosignatures, formatAddCheckpointRequest, verifyCosignature } from '../../src/protocol/cosignature.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import type { WitnessConfig } from '../../src/witness/config.js';
import { WitnessService } from '../../src/witness/witness-service.js';
import { hex } from '../helpers/bytes.js';
import { openTestDatabase } from '../helpers/database.js';
import { rawRequest } from '../helpers/raw-http.js';

function connected(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The status and body of the one response a `Connection: close` socket gets. */
function readReply(socket: net.Socket): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
    socket.on('end', () => resolve({ status: Number(data.slice(9, 12)), text: data.slice(data.indexOf('\r\n\r\n') + 4) }));
  });
}
import { ToyLog } from '../helpers/toy-log.js';

interface LitetlogVectors {
  logOrigin: string;
  logPublicKeyHex: string;
  notes: Record<string, string>;
  requests: Array<{ name: string; body: string }>;
  tooManyProofs: string;
}
const litetlog = JSON.parse(readFileSync(new URL('../vectors/witness/litetlog.json', import.meta.url), 'utf8')) as LitetlogVectors;
const body = (name: string) => litetlog.requests.find((r) => r.name.startsWith(name))!.body;

const toy = new ToyLog('toy.example/log', 9).append(5);
const stranger = new ToyLog('toy.example/log', 10).append(5); // same origin, another key
const unknown = new ToyLog('elsewhere.example/log', 11).append(1);

let witness: WitnessService;
const post = (payload: string | Buffer) => request(witness.app).post('/add-checkpoint').set('content-type', 'text/plain').send(payload);

beforeAll(async () => {
  const config: WitnessConfig = {
    host: '127.0.0.1',
    port: 0,
    name: 'witness.test/w1',
    signingKey: { kind: 'seed', seed: new Uint8Array(32).fill(1) },
    database: { kind: 'embedded' },
    logs: new Map([
      [litetlog.logOrigin, noteKey(litetlog.logOrigin, hex(litetlog.logPublicKeyHex))],
      [toy.key.origin, toy.noteKey],
    ]),
    bodyLimitBytes: 128 * 1024,
    logLevel: 'silent',
  };
  witness = await WitnessService.create(config);
});
afterAll(async () => witness.destroy());

describe('litetlog requests, replayed in order', () => {
  it('cosigns 0 → 1, answers 409 with its size to a stale old size, 422 to bad proofs, then cosigns 1 → 3 and 3 → 5', async () => {
    const first = await post(body('first checkpoint'));
    expect(first.status).toBe(200);
    const note = litetlog.notes['1']!;
    const cosigned = appendCosignatures(note, first.text)!;
    expect(await verifyCosignature(parseSignedNote(note)!.text, cosigned.lines[0]!, witness.key, nodeVerify)).not.toBeNull();

    const stale = await post(body('first checkpoint'));
    expect([stale.status, stale.headers['content-type'], stale.text]).toEqual([409, 'text/x.tlog.size; charset=utf-8', '1\n']);
    expect((await post(body('1 -> 3, last proof hash altered'))).status).toBe(422);
    expect((await post(body('1 -> 3, no proof'))).status).toBe(422);
    expect((await post(body('1 -> 3'))).status).toBe(200);
    const behind = await post(body('1 -> 5'));
    expect([behind.status, behind.text]).toEqual([409, '3\n']);
    expect((await post(body('3 -> 5'))).status).toBe(200);
    expect((await request(witness.app).get('/')).body.logs).toContainEqual({ origin: litetlog.logOrigin, size: 5 });
  });

  it('refuses 64 proof lines with 400', async () => {
    expect((await post(litetlog.tooManyProofs)).status).toBe(400);
  });
});

describe('refusals named by c2sp.org/tlog-witness', () => {
  it('404 for an unknown origin, 403 without a valid signature by the log key', async () => {
    expect((await post(await unknown.request(0))).status).toBe(404);
    expect((await post(await stranger.request(0, 2))).status).toBe(403);
    // The right key's line, its signature altered.
    const good = await toy.request(0, 2);
    const at = good.lastIndexOf(' ') + 5;
    const flipped = good.slice(0, at) + (good[at] === 'A' ? 'B' : 'A') + good.slice(at + 1);
    expect((await post(flipped)).status).toBe(403);
  });

  it('400 for an old size above the size; 409 for the same size with another root (a fork)', async () => {
    expect((await post(formatAddCheckpointRequest({ oldSize: 3, proof: [], note: await toy.note(2) }))).status).toBe(400);
    expect((await post(await toy.request(0, 2))).status).toBe(200);
    const forked = toy.fork(1, 'fork').append(1);
    const fork = await post(await forked.request(2, 2));
    expect(fork.status).toBe(409);
    expect(fork.text).not.toContain('—');
    // Nor can the fork grow past it: its proof from 2 does not match the stored root.
    forked.append(2);
    expect((await post(await forked.request(2, 4))).status).toBe(422);
    // The honest log goes on; same size, same root again is cosigned again (a fresher time line).
    expect((await post(await toy.request(2, 2))).status).toBe(200);
    expect((await post(formatAddCheckpointRequest({ oldSize: 2, proof: [], note: await toy.note(2, Date.now()) }))).status).toBe(200);
  });

  it('422 for a proof from size 0', async () => {
    const fresh = new ToyLog('toy.example/log', 9).append(5);
    expect((await post(formatAddCheckpointRequest({ oldSize: 0, proof: fresh.proof(1, 5), note: await fresh.note(5) }))).status).toBe(422);
  });
});

describe('hostile bodies never get a 5xx', () => {
  it.each([
    ['empty', ''],
    ['not UTF-8', Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0x30, 0x0a, 0x0a, 0xff, 0xfe])],
    ['no note', 'old 0\n\n'],
    ['a note without signatures', 'old 0\n\ntoy.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'],
    ['a checkpoint of two lines', 'old 0\n\ntoy.example/log\n1\n\n— toy.example/log AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'],
    ['a size beyond 2^53', 'old 0\n\ntoy.example/log\n99999999999999999999\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— toy.example/log AAAA\n'],
    ['NUL bytes', 'old 0\n\n\u0000\n'],
  ])('%s → 400', async (_name, payload) => {
    expect((await post(payload)).status).toBe(400);
  });

  it('a body over the limit is 413', async () => {
    expect((await post(`old 0\n${'A'.repeat(200 * 1024)}`)).status).toBe(413);
  });

  it('other methods and paths are 404', async () => {
    expect((await request(witness.app).get('/add-checkpoint')).status).toBe(404);
    expect((await request(witness.app).post('/nope').send('x')).status).toBe(404);
  });
});

describe('racing requests', () => {
  // On Postgres (DATABASE_URL, as in CI) the requests really run at once on several connections;
  // the embedded database serialises transactions, where this race cannot happen.
  it('from one old size, exactly one is cosigned and the stored size is never rolled back', async () => {
    const database = await openTestDatabase();
    const racer = await WitnessService.create({ ...witness.config, name: 'witness.test/race' }, { database: database.db });
    try {
      const race = new ToyLog('toy.example/log', 9).append(60);
      expect((await request(racer.app).post('/add-checkpoint').send(await race.request(0, 5))).status).toBe(200);
      const sizes = [10, 20, 30, 40, 15, 25, 35, 45, 50, 55, 60, 12];
      const bodies = await Promise.all(sizes.map((size) => race.request(5, size)));
      const server = http.createServer(racer.app).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      // Every connection open first, then every request written in one tick: the server reads
      // them all before any has reached the database.
      const sockets = await Promise.all(bodies.map(() => connected(port)));
      const replies = sockets.map(readReply);
      sockets.forEach((socket, i) => socket.write(rawRequest({ method: 'POST', path: '/add-checkpoint', body: bodies[i]!, headers: { Connection: 'close' } })));
      const answers = await Promise.all(replies);
      server.close();
      const won = answers.flatMap((a, i) => (a.status === 200 ? [sizes[i]!] : []));
      expect(won).toHaveLength(1);
      expect(answers.filter((a) => a.status === 409).map((a) => a.text)).toEqual(Array(sizes.length - 1).fill(`${won[0]}\n`));
      expect((await request(racer.app).get('/')).body.logs).toContainEqual({ origin: race.key.origin, size: won[0] });
    } finally {
      await racer.destroy();
      await database.close();
    }
  });
});
