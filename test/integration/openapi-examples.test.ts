// The examples in openapi.yaml (written from a real registry by test/tools/openapi-examples.ts):
// each one valid against the schema of every place that shows it, shown only for operations whose
// contract allows it, every API operation covered, the signed ones verifying as a client would
// verify them — and /docs showing them, with the internal routes kept out of the operations.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseVerifierKey, type NoteKey } from '../../src/protocol/checkpoint.js';
import { parseDeviceRecord, verifyDeviceSignature } from '../../src/protocol/device.js';
import { ERROR_STATUS } from '../../src/protocol/errors.js';
import { parseGroupRecord, verifyGroupSignature } from '../../src/protocol/group.js';
import { tweetnaclVerify } from '../../src/sdk/tweetnacl-verify.js';
import { verifyCheckpoint, verifyCheckpointsConsistent, verifyEntryInclusion, verifyHistory, verifyLookupBundle, verifyWriteResult } from '../../src/sdk/verify.js';
import { api } from '../helpers/http.js';
import { Contract, isErrorCode, requestPattern } from '../helpers/openapi-contract.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

type Node = Record<string, any>;

const contract = new Contract();
const EXAMPLE_REF = '#/components/examples/';
const examples: Record<string, Node> = contract.spec['components']['examples'] ?? {};

/** Where an example is shown: the media type (its schema), and which operations it serves. */
interface Use {
  where: string;
  schema: unknown;
  /** The operations that show it: one for an operation's own response, several for shared components. */
  operations: Array<{ operationId: string; method: string; path: string; codes: Set<string> | null }>;
  /** The HTTP status of the response it is an example of; null for a request body. */
  status: number | null;
  shared: boolean;
}

const apiOperations = contract.operations.filter(({ operation }) => operation['x-internal'] !== true);

/** Every place an example is referenced, resolved to the operations that show it there. */
function uses(): Map<string, Use[]> {
  const out = new Map<string, Use[]>();
  const add = (name: string, use: Use) => out.set(name, [...(out.get(name) ?? []), use]);
  const refName = (raw: Node) => (typeof raw['$ref'] === 'string' && raw['$ref'].startsWith(EXAMPLE_REF) ? raw['$ref'].slice(EXAMPLE_REF.length) : null);
  const visit = (content: Node | undefined, where: string, status: number | null, shared: boolean, operations: Use['operations']) => {
    for (const [mediaType, media] of Object.entries<Node>(content ?? {})) {
      for (const [key, raw] of Object.entries<Node>(media['examples'] ?? {})) {
        const name = refName(raw);
        expectWith(name, `${where} ${mediaType} example ${key} is not a reference to components/examples`).not.toBeNull();
        add(name!, { where: `${where} ${mediaType}`, schema: media['schema'], operations, status, shared });
      }
    }
  };
  for (const { method, path, operation } of contract.operations) {
    const self = { operationId: operation['operationId'], method, path };
    for (const [status, raw] of Object.entries<Node>(operation['responses'])) {
      const response = contract.resolve(raw);
      const shared = typeof raw['$ref'] === 'string';
      const where = `${method.toUpperCase()} ${path} ${status}`;
      // A shared response is visited once per operation that uses it, with that operation's codes.
      visit(response['content'], where, Number(status), shared, [{ ...self, codes: new Set(contract.documentedCodes(response)) }]);
    }
    if (operation['requestBody'] !== undefined) {
      visit(contract.resolve(operation['requestBody'])['content'], `${method.toUpperCase()} ${path} request`, null, typeof operation['requestBody']['$ref'] === 'string', [{ ...self, codes: null }]);
    }
  }
  return out;
}

const USES = uses();

/** Whether an example is shown for an operation: no `x-operations`, or the operation is listed. */
function shownFor(example: Node, operationId: string): boolean {
  const listed = example['x-operations'];
  return !Array.isArray(listed) || listed.includes(operationId);
}

describe('the examples in openapi.yaml', () => {
  it('are all referenced, and every reference has its example', () => {
    expect(Object.keys(examples).length).toBeGreaterThan(40);
    expect([...USES.keys()].filter((name) => examples[name] === undefined)).toEqual([]);
    expect(Object.keys(examples).filter((name) => !USES.has(name))).toEqual([]);
  });

  it('each carry a summary, the request that produced them, and a value', () => {
    for (const [name, example] of Object.entries(examples)) {
      expectWith(typeof example['summary'], name).toBe('string');
      expectWith(example['x-request'], name).toMatch(/^(GET|POST|PUT) \/\S*$/);
      expectWith(example['value'], name).toBeDefined();
      for (const operationId of example['x-operations'] ?? []) expectWith(contract.operations.map(({ operation }) => operation['operationId']), name).toContain(operationId);
    }
  });

  it('validate against the schema of every place that shows them', () => {
    let checked = 0;
    for (const [name, places] of USES) {
      for (const use of places) {
        expectWith(contract.errors(use.schema, examples[name]!['value']), `${name} as ${use.where}`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('show a problem only where the contract names its code for that status', () => {
    for (const [name, places] of USES) {
      const example = examples[name]!;
      for (const use of places) {
        if (use.status === null || use.status < 400) continue;
        const value = example['value'];
        expectWith(isErrorCode(value.code), name).toBe(true);
        expectWith(ERROR_STATUS[value.code as keyof typeof ERROR_STATUS], `${name}: ${value.code}`).toBe(use.status);
        expectWith(value.status, name).toBe(use.status);
        for (const { operationId, codes } of use.operations) {
          if (shownFor(example, operationId)) expectWith([...codes!], `${name} shown for ${operationId} ${use.status}`).toContain(value.code);
        }
      }
    }
  });

  it('list in x-operations only operations that use the shared component they are under', () => {
    for (const [name, places] of USES) {
      const listed: string[] | undefined = examples[name]!['x-operations'];
      const shared = places.some((use) => use.shared);
      // Under a shared request body or response, an example must say whom it is for.
      if (shared) expectWith(listed, `${name} is under a shared component`).toBeDefined();
      if (listed === undefined) continue;
      const users = new Set(places.flatMap((use) => use.operations.map((op) => op.operationId)));
      for (const operationId of listed) expectWith(users.has(operationId), `${name}: ${operationId} does not use ${places[0]!.where}`).toBe(true);
    }
  });

  it('were each produced by a request to one of the operations that show them', () => {
    for (const [name, places] of USES) {
      const example = examples[name]!;
      const shownAt = places.flatMap((use) => use.operations).filter((op) => shownFor(example, op.operationId));
      const templates = shownAt.map(({ method, path }) => requestPattern(method, path));
      expectWith(templates.some((template) => template.test(example['x-request'])), `${name}: ${example['x-request']}`).toBe(true);
    }
  });

  it('cover every API operation: its request body, its success, and a problem when it has any', () => {
    const covered: string[] = [];
    for (const { method, path, operation } of apiOperations) {
      const id = operation['operationId'] as string;
      const shown = [...USES].filter(([name, places]) => places.some((use) => use.operations.some((op) => op.operationId === id)) && shownFor(examples[name]!, id));
      const at = (test: (use: Use) => boolean) => shown.filter(([, places]) => places.some((use) => use.operations.some((op) => op.operationId === id) && test(use)));
      const success = at((use) => use.status !== null && use.status < 300);
      expectWith(success.length, `${id}: no success example`).toBeGreaterThan(0);
      // The success example was produced by a request to this operation.
      const template = requestPattern(method, path);
      for (const [name] of success) expectWith(examples[name]!['x-request'], `${id}: ${name}`).toMatch(template);
      if (operation['requestBody'] !== undefined) {
        const bodies = at((use) => use.status === null);
        expectWith(bodies.length, `${id}: no request body example`).toBeGreaterThan(0);
        for (const [name] of bodies) expectWith(examples[name]!['x-request'], `${id}: ${name}`).toMatch(template);
      }
      const problems = Object.keys(operation['responses']).filter((status) => Number(status) >= 400 && Number(status) !== 500);
      if (problems.length > 0) expectWith(at((use) => use.status !== null && use.status >= 400).length, `${id}: no problem example`).toBeGreaterThan(0);
      covered.push(id);
    }
    expect(covered.length).toBe(apiOperations.length);
    expect(covered.length).toBeGreaterThanOrEqual(20);
  });
});

describe('the signed examples are real', () => {
  const value = (name: string) => examples[name]!['value'];
  let key: NoteKey;

  beforeAll(() => {
    key = parseVerifierKey(value('getRegistryInfo').vkey)!;
    expect(key).not.toBeNull();
  }, 120_000);

  it('the write results verify under the registry key, for the records sent', async () => {
    await verifyWriteResult(value('registerIdentity'), value('identityGenesis'), key, tweetnaclVerify);
    await verifyWriteResult(value('submitIdentityRecord'), value('identityUpdate'), key, tweetnaclVerify);
    await verifyWriteResult(value('createGroup'), value('groupGenesis'), key, tweetnaclVerify);
    await verifyWriteResult(value('submitGroupRecord'), value('groupUpdate'), key, tweetnaclVerify);
  });

  it('the lookup bundle and the audit history verify, and hold the records sent', async () => {
    const genesis = value('identityGenesis');
    const identity = await verifyLookupBundle(value('lookupIdentity'), genesis.userId, key, tweetnaclVerify);
    expect(identity.entries.map((entry) => entry.record)).toEqual([genesis, value('identityUpdate')]);
    const history = await verifyHistory(value('getIdentityHistory'), genesis.userId, tweetnaclVerify);
    expect(history.map((entry) => entry.nullified)).toEqual([false, false]);
  });

  it('the device and group records carry valid signatures, and the group’s head is in the log', async () => {
    for (const name of ['deviceRecord', 'putDevice']) await verifyDeviceSignature(parseDeviceRecord(value(name)), tweetnaclVerify);
    expect(value('listDevices').devices).toEqual([value('deviceRecord')]);
    for (const name of ['groupGenesis', 'groupUpdate']) await verifyGroupSignature(parseGroupRecord(value(name)), tweetnaclVerify);
    const bundle = value('lookupGroup');
    expect(bundle.entries.map((entry: Node) => entry.record)).toEqual([value('groupGenesis'), value('groupUpdate')]);
    const head = bundle.entries[bundle.entries.length - 1];
    verifyEntryInclusion(head.index, head.acceptedAt, head.record, bundle.proof, await verifyCheckpoint(bundle.checkpoint, key, tweetnaclVerify));
  });

  it('the checkpoint is signed, the proofs hold against it, and the entries are the log’s', async () => {
    const checkpoint = await verifyCheckpoint(value('getCheckpoint'), key, tweetnaclVerify);
    const [first, second] = value('getLogEntries').entries;
    expect(first.record).toEqual(value('identityGenesis'));
    const inclusion = value('getInclusionProof');
    expect(inclusion.index).toBe(first.index);
    verifyEntryInclusion(first.index, first.acceptedAt, first.record, inclusion, checkpoint);
    // The tree of two entries (the checkpoint in the rotation's write result) within the latest.
    const two = await verifyCheckpoint(value('submitIdentityRecord').checkpoint, key, tweetnaclVerify);
    expect(second.record).toEqual(value('identityUpdate'));
    const consistency = value('getConsistencyProof');
    expect([consistency.from, consistency.to]).toEqual([two.size, checkpoint.size]);
    verifyCheckpointsConsistent(two, checkpoint, consistency.hashes);
  });

  it('a tampered example fails those checks (they can fail)', async () => {
    const genesis = value('identityGenesis');
    await expect(verifyLookupBundle(value('lookupIdentity'), genesis.userId, parseVerifierKey(value('getRegistryInfo').vkey.replace(/.{4}$/, 'AAA='))!, tweetnaclVerify)).rejects.toThrow();
    await expect(verifyWriteResult(value('registerIdentity'), { ...genesis, name: 'Mallory' }, key, tweetnaclVerify)).rejects.toThrow();
  });
});

describe('/docs', () => {
  let registry: TestRegistry;
  let html: string;
  beforeAll(async () => {
    registry = await startTestRegistry();
    html = (await api(registry.url).get('/docs')).text;
  }, 120_000);
  afterAll(() => registry?.close(), 120_000);

  /** The HTML of one operation's section. */
  const section = (operationId: string) => {
    const start = html.indexOf(`<section class="operation" id="op-${operationId}">`);
    return start < 0 ? null : html.slice(start, html.indexOf('</section>', start));
  };

  it('shows every API operation with its examples: request, success and problems', () => {
    for (const { operation } of apiOperations) {
      const id = operation['operationId'] as string;
      const body = section(id);
      expectWith(body, id).not.toBeNull();
      expectWith(body, id).toContain('<h4>Examples</h4>');
      expectWith(body, id).toContain('<span class="status status-request">request</span>');
      expectWith(body, id).toMatch(/<details class="example" open><summary><span class="status status-ok">2\d\d/);
    }
    const register = section('registerIdentity')!;
    // The genesis sent, as JSON, and a problem the operation documents.
    expect(register).toContain(`&quot;userId&quot;: &quot;${examples['identityGenesis']!['value'].userId}&quot;`);
    expect(register).toContain('<code>BAD_SIGNATURE</code>');
    // Not a problem that belongs to another operation: a log query's 400.
    expect(register).not.toContain(examples['MalformedInclusionQuery']!['summary']);
  });

  it('lists the internal routes as files served, not as operations, and serves the icon', async () => {
    const internal = contract.operations.filter(({ operation }) => operation['x-internal'] === true);
    expect(internal.map(({ path }) => path).sort()).toEqual(['/assets/page.css', '/assets/page.js', '/docs/docs.css', '/favicon.ico']);
    const nav = html.slice(html.indexOf('<nav'), html.indexOf('</nav>'));
    const files = html.slice(html.indexOf('<section class="internal"'));
    for (const { path, operation } of internal) {
      expectWith(section(operation['operationId']), path).toBeNull();
      expect(nav).not.toContain(`#op-${operation['operationId']}`);
      expect(files).toContain(`<code class="path">${path}</code>`);
    }
    const icon = await fetch(`${registry.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/x-icon');
    const bytes = Buffer.from(await icon.arrayBuffer());
    // ICONDIR: reserved 0, type 1 (icon), two images of 16 and 32 pixels.
    expect([bytes.readUInt16LE(0), bytes.readUInt16LE(2), bytes.readUInt16LE(4), bytes[6], bytes[22]]).toEqual([0, 1, 2, 16, 32]);
  });

  it('puts the reference before the navigation in the document', () => {
    expect(html.indexOf('<main>')).toBeGreaterThan(0);
    expect(html.indexOf('<main>')).toBeLessThan(html.indexOf('<nav'));
  });
});
