// Hostile input over HTTP (DESIGN.md §1, §6): whatever a client sends, the answer is a 4xx
// problem+json with a stable code — never a 5xx — and a refused write changes nothing.
import http from 'node:http';
import { deflateSync, brotliCompressSync, gzipSync } from 'node:zlib';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createDeviceRecord } from '../../src/sdk/records.js';
import { SMALL_ORDER_ED25519, b64url, le32 } from '../helpers/bytes.js';
import { api, request, type Reply } from '../helpers/http.js';
import { expectProblem, expectSomeClientProblem, logSize, type Client } from '../helpers/hostile-http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { useTestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';
import { parseCheckpointText, parseSignedNote } from '../../src/protocol/checkpoint.js';

type Json = Record<string, unknown>;
type EndpointName = 'genesis' | 'update' | 'device';

interface Endpoint {
  name: EndpointName;
  method: 'POST' | 'PUT';
  path: string;
  /** A valid, signed record this endpoint would accept (the cases below spoil it). */
  record: Json;
  /** 201 for a genesis, 200 otherwise. */
  success: number;
  /** What a refused write must leave untouched besides the log. */
  state(): Promise<unknown>;
}

// Listening too: the streamed-body tests below write to a socket of their own.
const registry = useTestRegistry({ listen: true });
const client: Client = api(() => registry.app);
let owner: TestIdentity;
const endpoints = new Map<EndpointName, Endpoint>();

beforeAll(async () => {
  owner = await newIdentity({ name: 'Owner' });
  expect((await client.post('/v1/users', owner.head)).status).toBe(201);
  const stranger = await newIdentity({ name: 'Stranger' }); // never registered: its genesis is the spoiled record
  const update = await nextRecord(owner);
  const device = await createDeviceRecord({ userId: owner.userId, addresses: ['https://owner.example:8443', '192.168.1.2:5000'], name: 'laptop', signingKey: owner.signing });

  // The lookup bundle, its checkpoint as what it commits to: a fresh checkpoint of the same log
  // (signed while the test runs, CHECKPOINT_INTERVAL_SECONDS) differs only in its time and signature.
  const lookup = async () => {
    const { checkpoint, ...bundle } = (await client.get(`/v1/users/${owner.userId}`)).body;
    const { time: _time, ...commits } = parseCheckpointText(parseSignedNote(checkpoint)!.text)!;
    return { ...bundle, checkpoint: commits };
  };
  const devices = async () => (await client.get(`/v1/users/${owner.userId}/devices`)).body;
  endpoints.set('genesis', { name: 'genesis', method: 'POST', path: '/v1/users', record: stranger.head, success: 201, state: async () => (await client.get(`/v1/users/${stranger.userId}`)).status });
  endpoints.set('update', { name: 'update', method: 'POST', path: `/v1/users/${owner.userId}`, record: update, success: 200, state: lookup });
  endpoints.set('device', { name: 'device', method: 'PUT', path: `/v1/users/${owner.userId}/devices/${device.deviceId}`, record: device, success: 200, state: devices });
}, 120_000);

function send(endpoint: Endpoint, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Reply> {
  return request(registry.app, endpoint.method, endpoint.path, body, headers);
}

// ---- building spoiled bodies -------------------------------------------------------------------

/** The record as JSON text with `field`'s value replaced by `raw` (added at the end when absent). */
function withRaw(record: Json, field: string, raw: string): string {
  const parts = Object.entries(record).map(([key, value]) => `${JSON.stringify(key)}:${key === field ? raw : JSON.stringify(value)}`);
  if (!Object.hasOwn(record, field)) parts.push(`${JSON.stringify(field)}:${raw}`);
  return `{${parts.join(',')}}`;
}

function withField(record: Json, field: string, value: unknown): string {
  return withRaw(record, field, JSON.stringify(value));
}

function without(record: Json, field: string): string {
  const copy = { ...record };
  delete copy[field];
  return JSON.stringify(copy);
}

/** The record's bytes with `bytes` spliced raw into the middle of a string value. */
function withBytesInName(record: Json, bytes: number[]): Uint8Array {
  const [before, after] = withRaw(record, 'name', '"x@@SPLICE@@x"').split('@@SPLICE@@') as [string, string];
  return new Uint8Array(Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]));
}

/** A JSON object of exactly `size` bytes: the record plus a padding field. */
function paddedTo(record: Json, size: number): string {
  const empty = withField(record, 'padding', '');
  return withField(record, 'padding', 'x'.repeat(size - empty.length));
}

/** A JSON text that inflates to about 16 MiB (a small decompression bomb). */
const BOMB_TEXT = `{"padding":"${'a'.repeat(16 * 1024 * 1024)}"}`;

const ZERO_KEY = 'A'.repeat(43);

/** A 32-byte string that is not the encoding of any point of edwards25519 (found by trial from y = 2). */
const NOT_A_POINT = (() => {
  for (let y = 2n; ; y++) {
    try {
      ed25519.Point.fromBytes(le32(y));
    } catch {
      return b64url(le32(y));
    }
  }
})();

/** Key and signature fields of each kind of record, and the key a case spoils. */
function keyField(record: Json): string {
  return record['type'] === 'device' ? 'signer' : 'publicKey';
}

function key(record: Json): string {
  return record[keyField(record)] as string;
}

/** base64url → the standard alphabet; if the text has neither '-' nor '_', force a '+' and a '/' in. */
function standardAlphabet(text: string): string {
  const converted = text.replace(/-/g, '+').replace(/_/g, '/');
  return converted !== text ? converted : `+/${text.slice(2)}`;
}

/** The last character of an unpadded 32-byte base64url value with a non-zero trailing bit. */
function dirtyTrailingBits(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(text[text.length - 1]!);
  return text.slice(0, -1) + alphabet[last | 1];
}

interface Case {
  name: string;
  only?: EndpointName[];
  body(record: Json): string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

const IDENTITY: EndpointName[] = ['genesis', 'update'];
const DEVICE: EndpointName[] = ['device'];
const malformed = (name: string, body: Case['body'], extra: Partial<Case> = {}): Case => ({ name, body, status: 400, code: 'MALFORMED', ...extra });
const invalid = (name: string, body: Case['body'], extra: Partial<Case> = {}): Case => ({ name, body, status: 400, code: 'INVALID_RECORD', ...extra });

const cases: Case[] = [
  // Not a JSON object at all: MALFORMED.
  malformed('an empty body', () => ''),
  malformed('text that is not JSON', () => 'this is not JSON'),
  malformed('a JSON array holding the record', (r) => `[${JSON.stringify(r)}]`),
  malformed('a JSON string holding the record', (r) => JSON.stringify(JSON.stringify(r))),
  malformed('a JSON number', () => '42'),
  malformed('JSON null', () => 'null'),
  malformed('JSON true', () => 'true'),
  malformed('truncated JSON', (r) => JSON.stringify(r).slice(0, -1)),
  malformed('invalid UTF-8: a 0xFF byte', (r) => withBytesInName(r, [0xff])),
  malformed('invalid UTF-8: a bad continuation byte', (r) => withBytesInName(r, [0xc3, 0x28])),
  malformed('invalid UTF-8: an overlong "/"', (r) => withBytesInName(r, [0xc0, 0xaf])),
  malformed('invalid UTF-8: an encoded surrogate (U+D800)', (r) => withBytesInName(r, [0xed, 0xa0, 0x80])),
  malformed('invalid UTF-8: a code point above U+10FFFF', (r) => withBytesInName(r, [0xf4, 0x90, 0x80, 0x80])),
  malformed('invalid UTF-8: a truncated sequence', (r) => withBytesInName(r, [0xe2, 0x82])),
  malformed('a duplicate key', (r) => `${JSON.stringify(r).slice(0, -1)},"type":${JSON.stringify(r['type'])}}`),
  malformed('a duplicate key spelled with \\u escapes', (r) => `${JSON.stringify(r).slice(0, -1)},"t\\u0079pe":${JSON.stringify(r['type'])}}`),
  malformed('a duplicate "sig" spelled \\u0073ig, with a different value', (r) => `${JSON.stringify(r).slice(0, -1)},"\\u0073ig":"${'A'.repeat(86)}"}`),
  malformed('nesting 33 deep (one more than allowed)', (r) => withRaw(r, 'extra', `${'['.repeat(32)}${']'.repeat(32)}`)),
  malformed('nesting 100,000 deep arrays', (r) => withRaw(r, 'extra', '['.repeat(100_000))),
  malformed('nesting 20,000 deep objects', () => '{"a":'.repeat(20_000)),
  malformed('trailing garbage', (r) => `${JSON.stringify(r)}x`),
  malformed('two JSON objects', (r) => JSON.stringify(r).repeat(2)),
  malformed('a trailing comma', (r) => `${JSON.stringify(r).slice(0, -1)},}`),
  malformed('single-quoted strings', (r) => JSON.stringify(r).replace(/"/g, "'")),
  malformed('a comment', (r) => `/* hi */${JSON.stringify(r)}`),
  malformed('NaN as a value', (r) => withRaw(r, 'extra', 'NaN')),
  malformed('Infinity as a value', (r) => withRaw(r, 'extra', 'Infinity')),
  malformed('a raw control character in a string', (r) => withRaw(r, 'name', '"a\u0001b"')),
  malformed('an unknown escape in a string', (r) => withRaw(r, 'name', '"\\x41"')),
  malformed('a hexadecimal number', (r) => withRaw(r, 'extra', '0x10')),
  malformed('a number with a leading zero', (r) => withRaw(r, 'extra', '01')),

  // A JSON object that breaks the schema: INVALID_RECORD.
  invalid('an unknown field', (r) => withField(r, 'extra', 1)),
  invalid('an unknown "__proto__" field', (r) => withRaw(r, '__proto__', '{"status":"revoked"}')),
  invalid('an unknown "constructor" field', (r) => withField(r, 'constructor', {})),
  ...['type', 'userId', 'status', 'signer', 'sig'].map((field) => invalid(`missing "${field}"`, (r) => without(r, field))),
  ...['seq', 'prev', 'publicKey', 'publicBoxKey', 'rotationKeys', 'createdAt', 'publicKeyProof'].map((field) =>
    invalid(`missing "${field}"`, (r) => without(r, field), { only: IDENTITY }),
  ),
  ...['deviceId', 'addresses', 'updatedAt'].map((field) => invalid(`missing "${field}"`, (r) => without(r, field), { only: DEVICE })),
  invalid('an empty object', () => '{}'),
  invalid('"type" of another record kind', (r) => withField(r, 'type', r['type'] === 'device' ? 'identity' : 'device')),
  invalid('"type" as a number', (r) => withField(r, 'type', 1)),
  invalid('"userId" as a number', (r) => withField(r, 'userId', 12345)),
  invalid('"userId" in upper case', (r) => withField(r, 'userId', (r['userId'] as string).toUpperCase().replace(/[0-9]/g, 'A'))),
  invalid('"userId" one character too long', (r) => withField(r, 'userId', `${r['userId'] as string}a`)),
  invalid('"status" not one of the two', (r) => withField(r, 'status', 'deleted')),
  invalid('"signer" null', (r) => withField(r, 'signer', null)),
  invalid('"sig" as an array', (r) => withField(r, 'sig', [r['sig']])),
  invalid('"name" as a number', (r) => withField(r, 'name', 5)),
  invalid('"name" null', (r) => withField(r, 'name', null)),
  invalid('"name" empty', (r) => withField(r, 'name', '')),
  invalid('"name" with a control character (escaped)', (r) => withRaw(r, 'name', '"bell\\u0007"')),
  invalid('"name" with a lone surrogate escape', (r) => withRaw(r, 'name', '"\\ud800"')),
  invalid('"name" with a reversed surrogate pair', (r) => withRaw(r, 'name', '"\\udc00\\ud800"')),
  invalid('"name" ending in a high surrogate', (r) => withRaw(r, 'name', '"abc\\udbff"')),
  invalid('"name" of 65 code points', (r) => withField(r, 'name', 'é'.repeat(65))),
  invalid('"name" of 65 astral code points', (r) => withField(r, 'name', '😀'.repeat(65))),
  invalid('a key with base64 padding', (r) => withField(r, keyField(r), `${key(r)}=`)),
  invalid('a key in the standard base64 alphabet', (r) => withField(r, keyField(r), standardAlphabet(key(r)))),
  invalid('a signature in the standard base64 alphabet', (r) => withField(r, 'sig', standardAlphabet(r['sig'] as string))),
  invalid('a signature with base64 padding', (r) => withField(r, 'sig', `${r['sig'] as string}==`)),
  invalid('a key with non-zero trailing bits', (r) => withField(r, keyField(r), dirtyTrailingBits(key(r)))),
  invalid('a key of 31 bytes', (r) => withField(r, keyField(r), b64url(new Uint8Array(31).fill(7)))),
  invalid('a key of 33 bytes', (r) => withField(r, keyField(r), b64url(new Uint8Array(33).fill(7)))),
  invalid('an empty key', (r) => withField(r, keyField(r), '')),
  invalid('a signature of 63 bytes', (r) => withField(r, 'sig', b64url(new Uint8Array(63).fill(7)))),
  invalid('the all-zero (small-order) key', (r) => withField(r, keyField(r), ZERO_KEY)),
  ...SMALL_ORDER_ED25519.map((point, i) => invalid(`small-order key #${i}`, (r) => withField(r, keyField(r), b64url(point)))),
  invalid('a key that is not a curve point', (r) => withField(r, keyField(r), NOT_A_POINT)),
  invalid('the all-zero box key', (r) => withField(r, 'publicBoxKey', ZERO_KEY), { only: IDENTITY }),
  invalid('the all-zero key among the rotation keys', (r) => withField(r, 'rotationKeys', [ZERO_KEY]), { only: IDENTITY }),
  invalid('"rotationKeys" as a string', (r) => withField(r, 'rotationKeys', (r['rotationKeys'] as string[])[0]), { only: IDENTITY }),
  invalid('"rotationKeys" empty', (r) => withField(r, 'rotationKeys', []), { only: IDENTITY }),
  invalid('a repeated rotation key', (r) => withField(r, 'rotationKeys', [r['signer'], r['signer']]), { only: IDENTITY }),
  invalid('"prev" as a number', (r) => withField(r, 'prev', 0), { only: IDENTITY }),
  invalid('"seq" as a float (1.5)', (r) => withRaw(r, 'seq', '1.5'), { only: IDENTITY }),
  invalid('"seq" as a float with an integral value (N.0)', (r) => withRaw(r, 'seq', `${r['seq'] as number}.0`), { only: IDENTITY }),
  invalid('"seq" with an exponent (Ne0)', (r) => withRaw(r, 'seq', `${r['seq'] as number}e0`), { only: IDENTITY }),
  invalid('"seq" as a string', (r) => withField(r, 'seq', String(r['seq'])), { only: IDENTITY }),
  invalid('"seq" as 2^53 + 1 (unsafe)', (r) => withRaw(r, 'seq', '9007199254740993'), { only: IDENTITY }),
  invalid('"seq" as 2^53 (unsafe)', (r) => withRaw(r, 'seq', '9007199254740992'), { only: IDENTITY }),
  invalid('"seq" as 1e400', (r) => withRaw(r, 'seq', '1e400'), { only: IDENTITY }),
  invalid('"seq" as -0', (r) => withRaw(r, 'seq', '-0'), { only: IDENTITY }),
  invalid('"seq" negative', (r) => withRaw(r, 'seq', '-1'), { only: IDENTITY }),
  invalid('"seq" null', (r) => withRaw(r, 'seq', 'null'), { only: IDENTITY }),
  invalid('"createdAt" as a number', (r) => withField(r, 'createdAt', Date.now()), { only: IDENTITY }),
  invalid('"createdAt" without milliseconds', (r) => withField(r, 'createdAt', (r['createdAt'] as string).replace(/\.\d{3}Z$/, 'Z')), { only: IDENTITY }),
  invalid('"createdAt" with an offset instead of Z', (r) => withField(r, 'createdAt', (r['createdAt'] as string).replace(/Z$/, '+00:00')), { only: IDENTITY }),
  invalid('six rotation keys', (r) => withField(r, 'rotationKeys', Array.from({ length: 6 }, (_, i) => b64url(ed25519.getPublicKey(new Uint8Array(32).fill(i + 1))))), { only: IDENTITY }),
  invalid('"addresses" as a string', (r) => withField(r, 'addresses', 'https://a.example'), { only: DEVICE }),
  invalid('"addresses" holding a number', (r) => withField(r, 'addresses', [1]), { only: DEVICE }),
  invalid('"addresses" holding a float', (r) => withRaw(r, 'addresses', '[1.5]'), { only: DEVICE }),
  invalid('"updatedAt" as a float', (r) => withRaw(r, 'updatedAt', '1.5'), { only: DEVICE }),
  invalid('"updatedAt" as -0', (r) => withRaw(r, 'updatedAt', '-0'), { only: DEVICE }),
  invalid('"updatedAt" as an unsafe integer', (r) => withRaw(r, 'updatedAt', '9007199254740993'), { only: DEVICE }),
  invalid('"updatedAt" as a string of digits', (r) => withField(r, 'updatedAt', String(Date.now())), { only: DEVICE }),
  invalid('"expiresAt" null', (r) => withField(r, 'expiresAt', null), { only: DEVICE }),
  invalid('"expiresAt" not after "updatedAt"', (r) => withField(r, 'expiresAt', r['updatedAt']), { only: DEVICE }),
  invalid('an address of 257 characters', (r) => withField(r, 'addresses', [`https://${'a'.repeat(249)}`]), { only: DEVICE }),
  invalid('an empty address', (r) => withField(r, 'addresses', ['']), { only: DEVICE }),
  invalid('an address with a space', (r) => withField(r, 'addresses', ['https://a.example /x']), { only: DEVICE }),
  invalid('a repeated address', (r) => withField(r, 'addresses', ['10.0.0.1:5000', '10.0.0.1:5000']), { only: DEVICE }),
  invalid('17 addresses', (r) => withField(r, 'addresses', Array.from({ length: 17 }, (_, i) => `10.0.0.${i}:5000`)), { only: DEVICE }),
  invalid('a body of exactly 128 KiB (at the limit, but an unknown field)', (r) => paddedTo(r, 128 * 1024)),

  // Over the limit: 413, also when a compressed body inflates past it.
  { name: 'a body of 128 KiB + 1 byte', body: (r) => paddedTo(r, 128 * 1024 + 1), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a body of 1 MiB', body: (r) => paddedTo(r, 1024 * 1024), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a gzip body that inflates to 16 MiB', body: () => new Uint8Array(gzipSync(BOMB_TEXT)), headers: { 'content-encoding': 'gzip' }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a deflate body that inflates to 16 MiB', body: () => new Uint8Array(deflateSync(BOMB_TEXT)), headers: { 'content-encoding': 'deflate' }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a brotli body that inflates to 16 MiB', body: () => new Uint8Array(brotliCompressSync(BOMB_TEXT)), headers: { 'content-encoding': 'br' }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  // A body the server cannot decode is no JSON object to it: MALFORMED (the contract has no 415).
  malformed('an unsupported Content-Encoding', (r) => JSON.stringify(r), { headers: { 'content-encoding': 'x-unknown' } }),
  malformed('Content-Encoding: compress', (r) => JSON.stringify(r), { headers: { 'content-encoding': 'compress' } }),
  malformed('Content-Encoding: gzip on a body that is not gzip', (r) => JSON.stringify(r), { headers: { 'content-encoding': 'gzip' } }),
  malformed('a truncated gzip body', (r) => new Uint8Array(gzipSync(JSON.stringify(r))).slice(0, 20), { headers: { 'content-encoding': 'gzip' } }),
];

describe.each(['genesis', 'update', 'device'] as const)('malformed bodies to the %s endpoint: 4xx problem+json, nothing changes', (name) => {
  const applicable = cases.filter((c) => c.only === undefined || c.only.includes(name));
  it.each(applicable.map((c) => [c.name, c] as const))('%s', async (_label, c) => {
    const endpoint = endpoints.get(name)!;
    const before = { size: await logSize(client), state: await endpoint.state() };
    const reply = await send(endpoint, c.body(endpoint.record), c.headers);
    expectProblem(reply, c.status, c.code, `${endpoint.method} ${endpoint.path} with ${c.name}`);
    expect(await logSize(client)).toBe(before.size);
    expect(await endpoint.state()).toEqual(before.state);
  });
});

describe('the same records, well-formed, are accepted (so the refusals above are for the stated reason)', () => {
  it('a gzip-encoded genesis whose name is 64 astral code points, with reordered keys and whitespace: 201', async () => {
    const identity = await newIdentity({ name: '😀'.repeat(64) });
    const reordered = Object.fromEntries(Object.entries(identity.head).reverse());
    const body = new Uint8Array(gzipSync(JSON.stringify(reordered, null, 2)));
    const reply = await request(registry.app, 'POST', '/v1/users', body, { 'content-encoding': 'gzip' });
    expectWith(reply.status, reply.text).toBe(201);
    expect((await client.get(`/v1/users/${identity.userId}`)).body.entries[0].record).toEqual(identity.head);
  });

  it('a device record with 16 addresses of 256 characters each: 200', async () => {
    const addresses = Array.from({ length: 16 }, (_, i) => `https://${String(i).padStart(2, '0')}${'a'.repeat(246)}`);
    expect(addresses.every((a) => a.length === 256)).toBe(true);
    const record = await createDeviceRecord({ userId: owner.userId, addresses, name: 'é'.repeat(64), signingKey: owner.signing });
    const reply = await client.put(`/v1/users/${owner.userId}/devices/${record.deviceId}`, record);
    expectWith(reply.status, reply.text).toBe(200);
    expect(reply.body).toEqual(record);
  });
});

describe('limits that need a valid signature or a streamed body to reach', () => {
  it('a correctly signed device record over 8 KiB of canonical JSON: 400 INVALID_RECORD', async () => {
    // 16 addresses of 256 code points each are allowed one by one; in 4-byte characters they make ~16 KiB.
    const addresses = Array.from({ length: 16 }, (_, i) => `${String.fromCodePoint(0x1f600 + i)}`.repeat(256));
    const record = await createDeviceRecord({ userId: owner.userId, addresses, signingKey: owner.signing });
    const before = (await client.get(`/v1/users/${owner.userId}/devices`)).body;
    expectProblem(await client.put(`/v1/users/${owner.userId}/devices/${record.deviceId}`, record), 400, 'INVALID_RECORD');
    expect((await client.get(`/v1/users/${owner.userId}/devices`)).body).toEqual(before);
  });

  /** Sends `chunks` with Transfer-Encoding: chunked (no Content-Length), as a streaming client would. */
  function chunked(path: string, chunks: Array<string | Buffer>): Promise<Reply> {
    const url = new URL(registry.url);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () => {
          const bytes = Buffer.concat(parts);
          const text = bytes.toString('utf8');
          const headers = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]));
          resolve({ status: res.statusCode!, headers, text, bytes, body: (res.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : text });
        });
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  }

  it('a chunked body with no Content-Length that grows over 128 KiB: 413 PAYLOAD_TOO_LARGE', async () => {
    const before = await logSize(client);
    expectProblem(await chunked('/v1/users', ['{"padding":"', ...Array.from({ length: 40 }, () => 'x'.repeat(4096)), '"}']), 413, 'PAYLOAD_TOO_LARGE');
    expect(await logSize(client)).toBe(before);
  });

  it('a chunked body split inside a UTF-8 sequence and inside a \\u escape is read whole: 201', async () => {
    const identity = await newIdentity({ name: 'Zoë 😀' });
    const bytes = Buffer.from(JSON.stringify(identity.head).replace('Zoë', 'Zo\\u00eb'));
    const inEscape = bytes.indexOf('\\u00eb') + 3;
    const inEmoji = bytes.indexOf('😀') + 2;
    expect(inEscape).toBeGreaterThan(2);
    expect(inEmoji).toBeGreaterThan(inEscape);
    const reply = await chunked('/v1/users', [bytes.subarray(0, inEscape), bytes.subarray(inEscape, inEmoji), bytes.subarray(inEmoji)]);
    expectWith(reply.status, reply.text).toBe(201);
    expect((await client.get(`/v1/users/${identity.userId}`)).body.entries[0].record).toEqual(identity.head);
  });
});

describe('random bodies (fast-check): never a 5xx, and the log grows by exactly the writes answered 2xx', () => {
  // Requests per endpoint: 500 in `npm test` and CI (1,500 cost this file 6 s more CPU, a third of
  // it); `npm run test:long` sends 20,000 (FUZZ_RUNS). fast-check draws new bodies on every run.
  const RUNS = Number(process.env['FUZZ_RUNS'] ?? '500');
  const BATCH = 10;

  function omit(record: Json, field: string): Json {
    const copy = { ...record };
    delete copy[field];
    return copy;
  }

  /** Any UTF-16 code unit, lone surrogates included. */
  const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

  function bodies(record: Json): fc.Arbitrary<string | Uint8Array> {
    const fields = Object.keys(record);
    const stringFields = fields.filter((f) => typeof record[f] === 'string');
    const bytes = Buffer.from(JSON.stringify(record));
    return fc.oneof(
      // Arbitrary JSON values.
      { weight: 3, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
      // Mutations of the valid signed record: drop, add or alter a field.
      { weight: 2, arbitrary: fc.constantFrom(...fields).map((f) => JSON.stringify(omit(record, f))) },
      { weight: 2, arbitrary: fc.tuple(fc.string(), fc.jsonValue()).map(([f, v]) => JSON.stringify({ ...record, [f]: v })) },
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...fields), fc.jsonValue()).map(([f, v]) => JSON.stringify({ ...record, [f]: v })) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.constantFrom(...stringFields), fc.nat(), fc.string({ unit: codeUnit, minLength: 1, maxLength: 3 })).map(([f, at, s]) => {
          const value = record[f] as string;
          const i = at % (value.length + 1);
          return JSON.stringify({ ...record, [f]: value.slice(0, i) + s + value.slice(i + 1) });
        }),
      },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...fields), fc.string({ unit: 'binary' })).map(([f, s]) => JSON.stringify({ ...record, [f]: s })) },
      // The same record re-serialised (keys shuffled, whitespace): valid, the rare 2xx.
      { weight: 1, arbitrary: fc.shuffledSubarray(fields, { minLength: fields.length }).map((order) => JSON.stringify(Object.fromEntries(order.map((f) => [f, record[f]])), null, 1)) },
      // Byte-level damage to the serialised record.
      {
        weight: 3,
        arbitrary: fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom('insert', 'delete', 'replace')).map(([at, byte, how]) => {
          const out = Buffer.concat([bytes.subarray(0, at), how === 'delete' ? Buffer.alloc(0) : Buffer.from([byte]), bytes.subarray(how === 'insert' ? at : at + 1)]);
          return new Uint8Array(out);
        }),
      },
      // Random strings and random bytes.
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
      { weight: 1, arbitrary: fc.string({ unit: codeUnit, maxLength: 300 }) },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 600 }) },
    );
  }

  async function fuzz(name: EndpointName): Promise<Reply[]> {
    const endpoint = endpoints.get(name)!;
    const accepted: Reply[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(bodies(endpoint.record), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const replies = await Promise.all(batch.map((body) => send(endpoint, body)));
        replies.forEach((reply, i) => {
          const context = `${endpoint.method} ${endpoint.path} with ${JSON.stringify(typeof batch[i] === 'string' ? batch[i] : Buffer.from(batch[i]!).toString('base64'))}`;
          expectWith(reply.status, `${context} → ${reply.text.slice(0, 300)}`).toBeLessThan(500);
          if (reply.status < 300) {
            expectWith(reply.status, context).toBe(endpoint.success);
            accepted.push(reply);
          } else {
            expectSomeClientProblem(reply, context);
          }
        });
      }),
      { numRuns: Math.ceil(RUNS / BATCH) },
    );
    return accepted;
  }

  const timeout = Math.max(120_000, RUNS * 100);

  it.each(['genesis', 'update'] as const)(
    'the %s endpoint',
    async (name) => {
      const before = await logSize(client);
      const accepted = await fuzz(name);
      expect(await logSize(client)).toBe(before + accepted.length);
    },
    timeout,
  );

  it(
    'the device endpoint (device records are not logged)',
    async () => {
      const endpoint = endpoints.get('device')!;
      const before = { size: await logSize(client), devices: (await client.get(`/v1/users/${owner.userId}/devices`)).body.devices as Json[] };
      const accepted = await fuzz('device');
      expect(await logSize(client)).toBe(before.size);
      // Only the untouched record can carry a valid signature: it is stored once, then equal ones are stale.
      expect(accepted.length).toBeLessThanOrEqual(1);
      for (const reply of accepted) expect(reply.body).toEqual(endpoint.record);
      const after = (await client.get(`/v1/users/${owner.userId}/devices`)).body.devices as Json[];
      const stored = after.filter((d) => d['deviceId'] === endpoint.record['deviceId']);
      const storedBefore = before.devices.filter((d) => d['deviceId'] === endpoint.record['deviceId']);
      expect(stored).toEqual(accepted.length > 0 ? [endpoint.record] : storedBefore);
      expect(after.length).toBe(before.devices.length + (accepted.length > 0 && storedBefore.length === 0 ? 1 : 0));
    },
    timeout,
  );
});

describe('odd query and path input to GET endpoints: 4xx, never 5xx', () => {
  const odd: Array<[path: string, status: number, code: string]> = [
    ['/v1/log/proof/inclusion', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=-1&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&size=-1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=abc&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&size=one', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=1e30&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&size=1e30', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&size=1000000000000000000000000000000', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&size=9007199254740993', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&index=0&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&size=1&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index[]=0&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index[a]=0&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=+0&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=%200&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=00&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0x0&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0.0&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=%E0%A4%A&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=1&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=5&size=1', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&size=0', 400, 'MALFORMED'],
    ['/v1/log/proof/inclusion?index=0&size=9007199254740991', 404, 'NOT_FOUND'],
    ['/v1/log/proof/consistency?from=2&to=1', 400, 'MALFORMED'],
    ['/v1/log/proof/consistency?from=-1&to=1', 400, 'MALFORMED'],
    ['/v1/log/proof/consistency?from=1', 400, 'MALFORMED'],
    ['/v1/log/proof/consistency?from=1&to=9007199254740991', 404, 'NOT_FOUND'],
    ['/v1/log/entries?start=0&limit=0', 400, 'MALFORMED'],
    ['/v1/log/entries?start=0&limit=1001', 400, 'MALFORMED'],
    ['/v1/log/entries?start=0&limit=-1', 400, 'MALFORMED'],
    ['/v1/log/entries?limit=10', 400, 'MALFORMED'],
    ['/v1/log/entries?start=-1', 400, 'MALFORMED'],
    ['/v1/log/entries?start=0&start=1', 400, 'MALFORMED'],
    ['/v1/log/entries?start=1e30', 400, 'MALFORMED'],
    ['/v1/users/%E0%A4%A', 400, 'MALFORMED'],
    ['/v1/users/%E0%A4%A/devices', 400, 'MALFORMED'],
    ['/v1/users/%ZZ', 400, 'MALFORMED'],
    ['/v1/users/%00', 400, 'MALFORMED'],
    ['/v1/users/NOT-A-PEERS-ID', 400, 'MALFORMED'],
    ['/v1/users/0000000000AAAAAAAAAAAAAAA', 400, 'MALFORMED'],
    ['/v1/users/0000000000aaaaaaaaaaaaaaaa', 400, 'MALFORMED'],
    ['/v1/users/0000000000aaaaaaaaaaaaaaa%00', 400, 'MALFORMED'],
    ['/v1/users/NOT-A-PEERS-ID/devices', 400, 'MALFORMED'],
    ['/v1/users/0000000000zzzzzzzzzzzzzzz', 404, 'NOT_FOUND'],
    ['/v1/users/0000000000zzzzzzzzzzzzzzz/devices', 404, 'NOT_FOUND'],
  ];

  // Sizes relative to the live log: its own size is a valid tree, one more is not yet.
  it('an inclusion proof for a size beyond the tree: 404 NOT_FOUND', async () => {
    const size = await logSize(client);
    expect(size).toBeGreaterThan(0);
    expectProblem(await client.get(`/v1/log/proof/inclusion?index=0&size=${size + 1}`), 404, 'NOT_FOUND');
    expectProblem(await client.get(`/v1/log/proof/inclusion?index=${size}&size=${size}`), 400, 'MALFORMED');
    expectProblem(await client.get(`/v1/log/proof/consistency?from=1&to=${size + 1}`), 404, 'NOT_FOUND');
    expect((await client.get(`/v1/log/proof/inclusion?index=${size - 1}&size=${size}`)).status).toBe(200);
  });

  it.each(odd)('GET %s → %i %s', async (path, status, code) => {
    expectProblem(await client.get(path), status, code, `GET ${path}`);
  });

  it.each([
    ['POST', '/v1/users/%E0%A4%A'],
    ['POST', '/v1/users/NOT-A-PEERS-ID'],
    ['PUT', '/v1/users/%E0%A4%A/devices/0000000000zzzzzzzzzzzzzzz'],
    ['PUT', '/v1/users/0000000000zzzzzzzzzzzzzzz/devices/%E0%A4%A'],
    ['PUT', '/v1/users/0000000000zzzzzzzzzzzzzzz/devices/NOT-A-PEERS-ID'],
  ])('%s %s with a well-formed body: 400 MALFORMED for the path', async (method, path) => {
    const record = endpoints.get(method === 'PUT' ? 'device' : 'update')!.record;
    const before = await logSize(client);
    expectProblem(await request(registry.app, method, path, record), 400, 'MALFORMED', `${method} ${path}`);
    expect(await logSize(client)).toBe(before);
  });

  it('reads past the end of the log are empty pages, not errors', async () => {
    for (const path of ['/v1/log/entries?start=9007199254740991&limit=1000', '/v1/log/entries?start=1000000&limit=1']) {
      const reply = await client.get(path);
      expectWith(reply.status, `${path} → ${reply.text}`).toBe(200);
      expect(reply.body.entries).toEqual([]);
    }
  });
});
