/**
 * Writes the examples of openapi.yaml from a real registry: `npm run examples`.
 *
 * Starts a registry on a throwaway database (embedded, or a schema in DATABASE_URL), drives it
 * with records the SDK signs — identities, a rotation, a device, a group and its update — and
 * records each request and what the registry answered, errors included (each provoked the way a
 * client would provoke it). The answers replace the block between the two marker comments at the
 * end of openapi.yaml (`components.examples`); nothing else in the file is touched. The paths and
 * shared responses refer to these examples by name, so a name that is referenced but not written
 * here fails this script.
 *
 * Every example carries `x-request`, the request that produced it. Examples under a shared request
 * body or response also carry `x-operations`: the operations the example belongs to (a 400 from a
 * log query is no example for a write). test/integration/openapi-examples.test.ts validates every
 * example against its schema and checks the signed ones verify.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { GroupRecord } from '../../src/protocol/group.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { createGroupGenesis, createGroupUpdate, groupMember, withMember } from '../../src/sdk/group-records.js';
import { createIdentityRecord, generateIdentityKeys, type IdentityKeys } from '../../src/sdk/identity-keys.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createDeviceRecord, createSuccessorRecord } from '../../src/sdk/records.js';
import type { Clock } from '../../src/server/clock.js';
import { request, type Reply } from '../helpers/http.js';
import { startTestMirror } from '../helpers/mirror.js';
import { OPENAPI_FILE } from '../helpers/openapi-contract.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const BEGIN_MARKER = '  # >>> examples: written by `npm run examples` (test/tools/openapi-examples.ts) from a real registry; do not edit by hand';
const END_MARKER = '  # <<< examples';

interface Example {
  summary: string;
  'x-request': string;
  'x-operations'?: string[];
  value: unknown;
}

const WRITES = ['registerIdentity', 'submitIdentityRecord', 'putDevice', 'createGroup', 'submitGroupRecord'];

/** The lines of a text that `keep` keeps. */
const excerptLines = (keep: (line: string) => boolean) => (text: string) => `${text.split('\n').filter(keep).join('\n')}\n`;

/** A clock that runs with the system's, and can be moved forward (for the 72-hour recovery window). */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

interface Person {
  keys: IdentityKeys;
  records: IdentityRecord[];
  userId: string;
}

async function generate(): Promise<Record<string, Example>> {
  const examples: Record<string, Example> = {};
  const clock = movableClock();
  const registry: TestRegistry = await startTestRegistry({ clock, env: { PUBLIC_URL: 'https://keys.example.org', LOG_ORIGIN: 'keys.example.org/peerkeys' } });
  const send = (method: string, path: string, body?: unknown) => request(registry.url, method, path, body);

  /** Sends the request, checks the status is the expected one, and keeps the answer as an example. */
  async function capture(
    name: string,
    summary: string,
    method: string,
    path: string,
    status: number,
    options: { body?: unknown; operations?: string[]; excerpt?: (text: string) => string; binary?: boolean } = {},
  ): Promise<Reply> {
    const reply = await send(method, path, options.body);
    if (reply.status !== status) throw new Error(`${name}: ${method} ${path} answered ${reply.status}, not ${status}: ${reply.text.slice(0, 300)}`);
    const isJson = (reply.headers.get('content-type') ?? '').includes('json');
    // Binary answers (tiles) are shown as base64: YAML has no bytes.
    const value = isJson ? reply.body : options.binary === true ? reply.bytes.toString('base64') : options.excerpt !== undefined ? options.excerpt(reply.text) : reply.text;
    examples[name] = { summary, 'x-request': `${method} ${path}`, ...(options.operations !== undefined ? { 'x-operations': options.operations } : {}), value };
    return reply;
  }
  /** A request body, kept as an example of the shared request body it is. */
  const body = (name: string, summary: string, method: string, path: string, operations: string[], value: unknown) => {
    examples[name] = { summary, 'x-request': `${method} ${path}`, 'x-operations': operations, value };
  };

  async function person(name: string): Promise<Person> {
    const keys = generateIdentityKeys();
    const genesis = await createIdentityRecord(keys, { name });
    const reply = await send('POST', '/v1/users', genesis);
    if (reply.status !== 201) throw new Error(`registering ${name}: ${reply.status} ${reply.text}`);
    return { keys, records: [genesis], userId: genesis.userId };
  }
  const member = (p: Person, role: Parameters<typeof groupMember>[1]) => groupMember({ userId: p.userId, publicKey: p.keys.signing.publicKey, publicBoxKey: p.keys.box.publicKey }, role);

  try {
    // --- identities -------------------------------------------------------------------------
    const aliceKeys = generateIdentityKeys();
    const genesis = await createIdentityRecord(aliceKeys, { name: 'Alice' });
    const alice: Person = { keys: aliceKeys, records: [genesis], userId: genesis.userId };
    body('identityGenesis', 'A genesis: seq 0, no prev, signed by its own rotation key', 'POST', '/v1/users', ['registerIdentity'], genesis);
    const created = await capture('registerIdentity', 'The genesis is in the log, with its inclusion proof', 'POST', '/v1/users', 201, { body: genesis });

    const newSigning: SigningKeyPair = generateSigningKeyPair();
    const rotation = await createSuccessorRecord({ previous: genesis, signingKey: newSigning, signer: aliceKeys.rotation });
    body('identityUpdate', 'A rotation to a new signing key, signed by the rotation key', 'POST', `/v1/users/${alice.userId}`, ['submitIdentityRecord'], rotation);
    await capture('submitIdentityRecord', 'The rotation is in the log', 'POST', `/v1/users/${alice.userId}`, 200, { body: rotation });
    alice.records.push(rotation);
    alice.keys = { ...aliceKeys, signing: newSigning };

    await capture('lookupIdentity', 'A two-record chain with the head’s proof', 'GET', `/v1/users/${alice.userId}`, 200);
    await capture('getIdentityHistory', 'Every record, none nullified', 'GET', `/v1/users/${alice.userId}/log`, 200);

    // --- devices ----------------------------------------------------------------------------
    const device = await createDeviceRecord({
      userId: alice.userId,
      addresses: ['https://alice-laptop.example:4443', '192.168.1.20:5000'],
      name: 'laptop',
      expiresAt: formatTimestamp(Date.now() + 30 * 86_400_000),
      signingKey: newSigning,
    });
    const devicePath = `/v1/users/${alice.userId}/devices/${device.deviceId}`;
    body('deviceRecord', 'A device and where it listens, signed by the user’s current key', 'PUT', devicePath, ['putDevice'], device);
    await capture('putDevice', 'The stored record', 'PUT', devicePath, 200, { body: device });
    await capture('listDevices', 'One device', 'GET', `/v1/users/${alice.userId}/devices`, 200);
    const bobBox = generateIdentityKeys().box;
    const sealedDevice = await createDeviceRecord({
      userId: alice.userId,
      addresses: [],
      sealedAddresses: { addresses: ['192.168.1.20:3341'], recipients: [bobBox.publicKey] },
      name: 'phone',
      signingKey: newSigning,
    });
    const sealedPath = `/v1/users/${alice.userId}/devices/${sealedDevice.deviceId}`;
    body('deviceRecordSealed', 'A device whose address only one box key can read (DESIGN.md §3.1)', 'PUT', sealedPath, ['putDevice'], sealedDevice);
    const stored = await send('PUT', sealedPath, sealedDevice);
    if (stored.status !== 200) throw new Error(`sealed device: ${stored.status} ${stored.text}`);

    // --- Peers ------------------------------------------------------------------------------
    await capture('getPeersAnchorDocument', 'Alice’s anchor document: her current signing key, since her rotation', 'GET', `/peers/v1/${alice.userId}.json`, 200);

    // --- groups -----------------------------------------------------------------------------
    const bob = await person('Bob');
    const carol = await person('Carol');
    const groupGenesis = await createGroupGenesis({ name: 'Book club', members: [member(alice, 'founder'), member(bob, 'writer')], signer: { userId: alice.userId, signingKey: newSigning } });
    body('groupGenesis', 'A group founded by its signer, with one writer', 'POST', '/v1/groups', ['createGroup'], groupGenesis);
    await capture('createGroup', 'The group genesis is in the log', 'POST', '/v1/groups', 201, { body: groupGenesis });
    const groupUpdate: GroupRecord = await createGroupUpdate({ previous: groupGenesis, members: withMember(groupGenesis.members, member(carol, 'admin')), signer: { userId: alice.userId, signingKey: newSigning } });
    const groupPath = `/v1/groups/${groupGenesis.groupId}`;
    body('groupUpdate', 'The founder adds an admin', 'POST', groupPath, ['submitGroupRecord'], groupUpdate);
    await capture('submitGroupRecord', 'The update is in the log', 'POST', groupPath, 200, { body: groupUpdate });
    await capture('lookupGroup', 'The group’s chain with the head’s proof', 'GET', groupPath, 200);
    await capture('listUserGroups', 'The groups that list Bob', 'GET', `/v1/users/${bob.userId}/groups`, 200);

    // --- the log ----------------------------------------------------------------------------
    await capture('getRegistryInfo', 'What a client pins', 'GET', '/v1/registry', 200);
    const checkpoint = await capture('getCheckpoint', 'A checkpoint of the log', 'GET', '/v1/log/checkpoint', 200);
    await capture('getHashTile', 'The first three leaf hashes: a partial level-0 tile, 96 bytes (base64 here)', 'GET', '/v1/log/tile/0/000.p/3', 200, { binary: true });
    await capture('getEntryBundle', 'The first entry: a partial bundle (base64 here)', 'GET', '/v1/log/tile/entries/000.p/1', 200, { binary: true });
    await capture('TileNotFound', 'A full tile of a log of fewer than 256 entries', 'GET', '/v1/log/tile/0/000', 404, { operations: ['getHashTile', 'getEntryBundle'] });
    const size = Number(checkpoint.text.split('\n')[1]);
    await capture('getInclusionProof', 'Alice’s genesis in the tree of the latest checkpoint', 'GET', `/v1/log/proof/inclusion?index=${created.body.index}&size=${size}`, 200);
    await capture('getConsistencyProof', 'The tree of 2 entries within the latest', 'GET', `/v1/log/proof/consistency?from=2&to=${size}`, 200);
    await capture('getLogEntries', 'The first two entries', 'GET', '/v1/log/entries?start=0&limit=2', 200);

    // --- operations and documents: excerpts of long texts -----------------------------------
    await capture('getHealth', 'Alive', 'GET', '/healthz', 200);
    await capture('getReadiness', 'Ready', 'GET', '/readyz', 200);
    const head = (count: number) => (text: string) => `${text.split('\n').slice(0, count).join('\n')}\n…\n`;
    await capture('getOpenApi', 'The beginning of the document', 'GET', '/openapi.yaml', 200, { excerpt: head(4) });
    await capture('getDocs', 'The beginning of the page', 'GET', '/docs', 200, { excerpt: head(6) });
    await capture('getLookupPage', 'The beginning of the page', 'GET', '/', 200, { excerpt: head(6) });
    await capture('getIdentityPage', 'The beginning of the page (the same document as /)', 'GET', `/u/${alice.userId}`, 200, { excerpt: head(6) });

    // --- problems: 400 ----------------------------------------------------------------------
    await capture('MalformedBody', 'A body with a duplicate key', 'POST', '/v1/users', 400, { body: '{"type":"identity","type":"identity"}', operations: WRITES });
    await capture('MalformedUserId', 'A userId that is not a Peers id', 'GET', '/v1/users/not-a-peers-id', 400, { operations: ['lookupIdentity', 'getIdentityHistory', 'listDevices', 'listUserGroups', 'getPeersAnchorDocument'] });
    await capture('MalformedGroupId', 'A groupId that is not a Peers id', 'GET', '/v1/groups/not-a-peers-id', 400, { operations: ['lookupGroup'] });
    await capture('MalformedInclusionQuery', 'An index that is not less than the size', 'GET', '/v1/log/proof/inclusion?index=3&size=3', 400, { operations: ['getInclusionProof'] });
    await capture('MalformedConsistencyQuery', '`from` greater than `to`', 'GET', '/v1/log/proof/consistency?from=2&to=1', 400, { operations: ['getConsistencyProof'] });
    await capture('MalformedEntriesQuery', 'No `start`', 'GET', '/v1/log/entries?limit=10', 400, { operations: ['getLogEntries'] });
    await capture('MalformedEncoding', 'A broken percent-encoding in the path', 'GET', '/u/%E0%A4%A', 400, { operations: ['getIdentityPage'] });
    await capture('InvalidIdentityRecord', 'An identity record with a field the schema does not have', 'POST', '/v1/users', 400, { body: { ...(await createIdentityRecord(generateIdentityKeys())), nickname: 'al' }, operations: ['registerIdentity', 'submitIdentityRecord'] });
    await capture('InvalidDeviceRecord', 'A device record sent to another deviceId’s path', 'PUT', `/v1/users/${alice.userId}/devices/${newPeersId()}`, 400, { body: device, operations: ['putDevice'] });
    await capture('InvalidGroupRecord', 'A group record without a name', 'POST', '/v1/groups', 400, { body: { ...groupGenesis, name: '' }, operations: ['createGroup', 'submitGroupRecord'] });

    // --- 404 ----------------------------------------------------------------------------------
    await capture('UserProvenAbsent', 'No identity with this userId, with the checkpoint and the map’s proof of absence', 'GET', `/v1/users/${newPeersId()}`, 404, { operations: ['lookupIdentity'] });
    await capture('UserNotFound', 'No identity with this userId', 'GET', `/v1/users/${newPeersId()}/log`, 404, { operations: ['getIdentityHistory', 'listDevices', 'getPeersAnchorDocument'] });
    const stranger = generateIdentityKeys();
    const strangerGenesis = await createIdentityRecord(stranger);
    const strangerUpdate = await createSuccessorRecord({ previous: strangerGenesis, signingKey: stranger.signing, signer: stranger.rotation });
    await capture('UserNotFoundOnWrite', 'A valid update of an identity nobody registered', 'POST', `/v1/users/${strangerGenesis.userId}`, 404, { body: strangerUpdate, operations: ['submitIdentityRecord', 'putDevice'] });
    await capture('GroupProvenAbsent', 'No group with this groupId, with the checkpoint and the map’s proof of absence', 'GET', `/v1/groups/${newPeersId()}`, 404, { operations: ['lookupGroup'] });
    const ghost = await createGroupGenesis({ name: 'Never created', members: [member(alice, 'founder')], signer: { userId: alice.userId, signingKey: newSigning } });
    const ghostUpdate = await createGroupUpdate({ previous: ghost, name: 'Still not created', signer: { userId: alice.userId, signingKey: newSigning } });
    await capture('GroupNotFound', 'A valid update of a group nobody created', 'POST', `/v1/groups/${ghost.groupId}`, 404, { body: ghostUpdate, operations: ['submitGroupRecord'] });
    await capture('TreeSizeNotFound', 'A tree size larger than the log', 'GET', `/v1/log/proof/inclusion?index=0&size=${size + 100}`, 404, { operations: ['getInclusionProof', 'getConsistencyProof'] });

    // --- 409 ----------------------------------------------------------------------------------
    await capture('AlreadyExists', 'The same genesis again', 'POST', '/v1/users', 409, { body: genesis, operations: ['registerIdentity'] });
    await capture('GroupAlreadyExists', 'The same group genesis again', 'POST', '/v1/groups', 409, { body: groupGenesis, operations: ['createGroup'] });
    const fork = await createSuccessorRecord({ previous: genesis, signingKey: generateSigningKeyPair(), signer: aliceKeys.rotation });
    await capture('PrevMismatch', 'A second successor of the genesis, by the key that signed the first: the chain moved on', 'POST', `/v1/users/${alice.userId}`, 409, { body: fork, operations: ['submitIdentityRecord'] });
    const staleGroupUpdate = await createGroupUpdate({ previous: groupGenesis, name: 'Readers', signer: { userId: alice.userId, signingKey: newSigning } });
    await capture('GroupPrevMismatch', 'An update of a head that is no longer the head', 'POST', groupPath, 409, { body: staleGroupUpdate, operations: ['submitGroupRecord'] });
    await capture('StaleDevice', 'The same device record again', 'PUT', devicePath, 409, { body: device, operations: ['putDevice'] });
    const dave = await person('Dave');
    const revocation = await createSuccessorRecord({ previous: dave.records[0]!, signingKey: dave.keys.signing, signer: dave.keys.rotation, status: 'revoked' });
    const revoked = await send('POST', `/v1/users/${dave.userId}`, revocation);
    if (revoked.status !== 200) throw new Error(`revoking: ${revoked.status} ${revoked.text}`);
    const afterRevocation = await createSuccessorRecord({ previous: revocation, signingKey: dave.keys.signing, signer: dave.keys.rotation });
    await capture('Revoked', 'An update after a revocation (only a recovery is accepted)', 'POST', `/v1/users/${dave.userId}`, 409, { body: afterRevocation, operations: ['submitIdentityRecord', 'putDevice'] });

    // --- 413 ----------------------------------------------------------------------------------
    await capture('PayloadTooLarge', 'A body over 128 KiB', 'POST', '/v1/users', 413, { body: JSON.stringify({ padding: 'x'.repeat(130 * 1024) }), operations: WRITES });

    // --- 422 ----------------------------------------------------------------------------------
    const erin = generateIdentityKeys();
    const erinGenesis = await createIdentityRecord(erin, { name: 'Erin' });
    await capture('BadSignature', 'A genesis whose name was changed after it was signed', 'POST', '/v1/users', 422, { body: { ...erinGenesis, name: 'Mallory' }, operations: ['registerIdentity', 'submitIdentityRecord'] });
    const old = await createIdentityRecord(generateIdentityKeys(), { createdAt: formatTimestamp(clock.now() - 10 * 60_000) });
    await capture('ClockSkew', 'A genesis made ten minutes ago', 'POST', '/v1/users', 422, { body: old, operations: ['registerIdentity', 'submitIdentityRecord'] });
    await capture('SeqMismatch', 'A genesis sent as an update', 'POST', `/v1/users/${alice.userId}`, 422, { body: genesis, operations: ['submitIdentityRecord'] });
    const sameTime = await createSuccessorRecord({ previous: rotation, signingKey: newSigning, signer: aliceKeys.rotation, createdAt: rotation.createdAt });
    await capture('TimeOrder', 'An update no later than the head', 'POST', `/v1/users/${alice.userId}`, 422, { body: sameTime, operations: ['submitIdentityRecord'] });
    const byRotationKey = await createDeviceRecord({ userId: alice.userId, deviceId: device.deviceId, addresses: [], signingKey: aliceKeys.rotation });
    await capture('UnauthorizedSigner', 'A device record signed by a rotation key instead of the current signing key', 'PUT', devicePath, 422, { body: byRotationKey, operations: ['putDevice'] });
    const byWriter = await createGroupUpdate({ previous: groupUpdate, members: withMember(groupUpdate.members, member(bob, 'admin')), signer: { userId: bob.userId, signingKey: bob.keys.signing } });
    await capture('GroupUnauthorizedSigner', 'A writer signs a group update', 'POST', groupPath, 422, { body: byWriter, operations: ['submitGroupRecord'] });
    const demoteFounder = await createGroupUpdate({ previous: groupUpdate, members: groupUpdate.members.map((m) => (m.userId === alice.userId ? { ...m, role: 'writer' as const } : m)), signer: { userId: carol.userId, signingKey: carol.keys.signing } });
    await capture('ForbiddenRoleChange', 'An admin demotes the founder', 'POST', groupPath, 422, { body: demoteFounder, operations: ['submitGroupRecord'] });

    // Counted by now: the refusals above.
    await capture('getMetrics', 'An excerpt', 'GET', '/metrics', 200, { excerpt: excerptLines((line) => /^(# (HELP|TYPE) )?peerkeys_(log_size|log_appended_total|refused_total)\b/.test(line)) });

    // --- 429 and 503, from other processes on the same database -----------------------------
    const limited = await startTestRegistry({ database: registry.database, logSeed: registry.logSeed, env: { LOG_ORIGIN: 'keys.example.org/peerkeys', RATE_LIMITS: 'on', RATE_LIMIT_IP_READS: '1/1m', RATE_LIMIT_IP_WRITES: '1/1m' } });
    try {
      const reads = ['lookupIdentity', 'getIdentityHistory', 'listDevices', 'listUserGroups', 'lookupGroup', 'getRegistryInfo', 'getCheckpoint', 'getInclusionProof', 'getConsistencyProof', 'getLogEntries', 'getHashTile', 'getEntryBundle', 'getLookupPage', 'getIdentityPage', 'getPeersAnchorDocument'];
      await request(limited.url, 'GET', '/v1/registry');
      const readLimited = await request(limited.url, 'GET', '/v1/registry');
      if (readLimited.status !== 429) throw new Error(`rate limits: ${readLimited.status}`);
      examples['RateLimitedRead'] = { summary: 'A second read within the minute, with a budget of one read a minute', 'x-request': 'GET /v1/registry', 'x-operations': reads, value: readLimited.body };
      await request(limited.url, 'POST', '/v1/users', '{}');
      const writeLimited = await request(limited.url, 'POST', '/v1/users', '{}');
      if (writeLimited.status !== 429) throw new Error(`rate limits: ${writeLimited.status}`);
      examples['RateLimitedWrite'] = { summary: 'A second write within the minute, with a budget of one write a minute', 'x-request': 'POST /v1/users', 'x-operations': WRITES, value: writeLimited.body };
    } finally {
      await limited.close();
    }
    // A mirror of a registry it cannot reach: not ready until it has copied that registry's log.
    const mirror = await startTestMirror('http://127.0.0.1:9', registry.service.logKey.vkey);
    try {
      const notReady = await request(mirror.url, 'GET', '/readyz');
      if (notReady.status !== 503) throw new Error(`mirror readiness: ${notReady.status}`);
      examples['Unavailable'] = { summary: 'A mirror that has not copied its registry’s log yet', 'x-request': 'GET /readyz', 'x-operations': ['getReadiness'], value: notReady.body };
    } finally {
      await mirror.close();
    }

    // --- last, as it moves the registry's clock: a recovery after its window -----------------
    clock.advance(73 * 3_600_000);
    const late = await createSuccessorRecord({ previous: genesis, signingKey: generateSigningKeyPair(), signer: aliceKeys.recovery, createdAt: formatTimestamp(clock.now()) });
    await capture('LateRecovery', 'A recovery signed by the recovery key, 73 hours after the record it overrules', 'POST', `/v1/users/${alice.userId}`, 422, { body: late, operations: ['submitIdentityRecord'] });
  } finally {
    await registry.close();
  }
  return examples;
}

/** The block that goes between the markers: `examples:` under `components:`, indented by two. */
function examplesBlock(examples: Record<string, Example>): string {
  // YAML 1.1 quoting: strings that a YAML 1.1 reader would take for a timestamp, a boolean or a
  // number (createdAt, "on") stay strings for every reader, not only for YAML 1.2 ones.
  const yaml = stringify({ examples }, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
  return yaml
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}

/** openapi.yaml with the block between the markers replaced. */
function withExamples(document: string, block: string): string {
  const begin = document.indexOf(`${BEGIN_MARKER}\n`);
  const end = document.indexOf(`${END_MARKER}\n`);
  if (begin < 0 || end < begin) throw new Error('openapi.yaml has no examples markers (see BEGIN_MARKER and END_MARKER)');
  return `${document.slice(0, begin)}${BEGIN_MARKER}\n${block}\n${document.slice(end)}`;
}

/** The names the document refers to as `#/components/examples/<name>`. */
function referencedExamples(document: string): Set<string> {
  return new Set([...document.matchAll(/#\/components\/examples\/([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!));
}

const document = readFileSync(OPENAPI_FILE, 'utf8');
const examples = await generate();
const missing = [...referencedExamples(document)].filter((name) => examples[name] === undefined);
const unused = Object.keys(examples).filter((name) => !referencedExamples(document).has(name));
if (missing.length > 0 || unused.length > 0) {
  console.error(`openapi.yaml refers to examples this script does not make: ${missing.join(', ') || 'none'}; made but not referred to: ${unused.join(', ') || 'none'}`);
  process.exit(1);
}
writeFileSync(OPENAPI_FILE, withExamples(document, examplesBlock(examples)));
console.log(`wrote ${Object.keys(examples).length} examples into openapi.yaml`);
