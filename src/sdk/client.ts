/**
 * RegistryClient: talks to one registry, pinned to its URL and its log key, and returns nothing it
 * has not verified. Every lookup and write answer is checked (verify.ts), and every checkpoint is
 * checked for consistency with the last one this client saw, which it keeps in a ClientStore.
 */
import { parseVerifierKey, type Checkpoint, type NoteKey } from '../protocol/checkpoint.js';
import { fromBase64, toBase64 } from '../protocol/encoding.js';
import type { ErrorCode } from '../protocol/errors.js';
import { parseJson } from '../protocol/json.js';
import type { IdentityRecord } from '../protocol/identity.js';
import type { DeviceRecord } from '../protocol/device.js';
import { parseDeviceRecord, verifyDeviceSignature } from '../protocol/device.js';
import type { GroupMember, GroupRecord, GroupRole } from '../protocol/group.js';
import { isPeersId } from '../protocol/ids.js';
import type { IdentityLogEntry } from '../protocol/identity-rules.js';
import { parseTimestamp } from '../protocol/time.js';
import { recordHash, type VerifySignature } from '../protocol/signing.js';
import type { SigningKeyPair } from './keys.js';
import { createSuccessorRecord } from './records.js';
import { defaultVerifier } from './crypto.js';
import { ReceiptNotVerifiedError, RegistryError, VerificationError } from './errors.js';
import { crossCheckMember, groupBundleAdmins, verifyGroupBundle, type MemberCrossCheck, type VerifiedGroup } from './group-verify.js';
import { fetchAllPages, joinPages } from './pages.js';
import { consistencySchema, LIST_CAPS, problemSchema, userGroupsSchema } from './responses.js';
import { MemoryStore, type ClientStore } from './store.js';
import {
  verifyCheckpoint,
  verifyCheckpointsConsistent,
  verifyEntryInclusion,
  verifyHistory,
  verifyLookupBundle,
  verifyWriteResult,
  type VerifiedCheckpoint,
  type VerifiedHistoryEntry,
  type VerifiedIdentity,
  type VerifiedReceipt,
} from './verify.js';

export interface RegistryClientOptions {
  /** The registry's base URL, e.g. `https://keys.example.org`. */
  url: string;
  /**
   * The registry's log verifier key (C2SP vkey, as `GET /v1/registry` shows it), obtained out of
   * band and pinned: every checkpoint must be signed by it.
   */
  vkey: string;
  /** Where verified state is kept between calls (default: memory). */
  store?: ClientStore;
  /** Signature verification (default: WebCrypto Ed25519 when available, else tweetnacl). */
  verify?: VerifySignature;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
}

/** A member's keys as a verified group pins them (see RegistryClient.keysFromGroup). */
export interface GroupMemberKeys {
  groupId: string;
  userId: string;
  publicKey: string;
  publicBoxKey: string;
  role: GroupRole;
  /** The verified group they come from. */
  group: VerifiedGroup;
}

/** The last verified head of an identity, to detect answers older than ones already seen. */
interface SeenHead {
  index: number;
  hash: string;
}

interface SavedCheckpoint {
  size: number;
  root: string;
  note: string;
}

/** A client for one registry. */
export class RegistryClient {
  /** The registry's base URL, without a trailing slash. */
  readonly url: string;
  /** The pinned log key. */
  readonly key: NoteKey;
  private readonly store: ClientStore;
  private readonly fetcher: typeof fetch;
  private readonly verifier: Promise<VerifySignature>;
  /** Serialises updates of the stored checkpoint across concurrent calls. */
  private checkpointQueue: Promise<unknown> = Promise.resolve();

  constructor(options: RegistryClientOptions) {
    const key = parseVerifierKey(options.vkey);
    if (key === null) throw new TypeError('vkey is not a valid C2SP Ed25519 verifier key (<name>+<hex id>+<base64 key>)');
    this.url = options.url.replace(/\/+$/, '');
    this.key = key;
    this.store = options.store ?? new MemoryStore();
    this.fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.verifier = options.verify !== undefined ? Promise.resolve(options.verify) : defaultVerifier();
  }

  /**
   * Looks up a user's keys and verifies everything about them: every record of the chain (schema,
   * signatures, proof of possession, links, seq, times), the head's inclusion proof, the
   * checkpoint's signature and its consistency with the last checkpoint this client saw.
   * @throws VerificationError when any check fails; RegistryError when the registry refuses.
   */
  async lookup(userId: string): Promise<VerifiedIdentity> {
    const identity = await this.acrossPages(async (seen) => {
      const raw = await this.list(`/v1/users/${encodeURIComponent(userId)}`, 'entries', LIST_CAPS.chain, seen);
      return verifyLookupBundle(raw, userId, this.key, await this.verifier);
    });
    await this.acceptCheckpoint(identity.checkpoint);
    await this.acceptHead(userId, identity.head);
    return identity;
  }

  /**
   * The identity's full audit history, nullified records included and marked, verified from the
   * log: every record's signatures, the chain replayed in log order (so the nullified marks must
   * be right), and each entry's inclusion in a verified checkpoint. `from` skips entries below a
   * log index (their inclusion was checked before), though all are still replayed.
   */
  async history(userId: string, options: { from?: number } = {}): Promise<{ entries: VerifiedHistoryEntry[]; checkpoint: VerifiedCheckpoint }> {
    const entries = await this.acrossPages(async (seen) => {
      const raw = await this.list(`/v1/users/${encodeURIComponent(userId)}/log`, 'entries', LIST_CAPS.history, seen);
      return verifyHistory(raw, userId, await this.verifier);
    });
    const checkpoint = await this.checkpoint();
    for (const entry of entries) {
      if (entry.index < (options.from ?? 0)) continue;
      if (entry.index >= checkpoint.size) throw new VerificationError('INVALID_RESPONSE', `history entry ${entry.index} is beyond the checkpoint of size ${checkpoint.size}`);
      const proof = await this.request('GET', `/v1/log/proof/inclusion?index=${entry.index}&size=${checkpoint.size}`);
      verifyEntryInclusion(entry.index, entry.acceptedAt, entry.record, proof as { index: number; size: number; hashes: string[] }, checkpoint);
    }
    return { entries, checkpoint };
  }

  /** Reads a value this client keeps in its store (namespaced by the registry's origin). */
  async loadState(name: string): Promise<string | null> {
    return (await this.store.get(`${name}:${this.key.name}`)) ?? null;
  }

  /** Keeps a value in this client's store (namespaced by the registry's origin). */
  async saveState(name: string, value: string): Promise<void> {
    await this.store.set(`${name}:${this.key.name}`, value);
  }

  /**
   * Recovers an identity after a theft (DESIGN.md §2): overrules the live records from `undoFrom`
   * on (e.g. `monitor(...).unexpected[0].hash`) with a new record that forks from the record
   * before it, signed by `signer` — a rotation key stronger (earlier in that record's rotation
   * keys) than the one that signed `undoFrom`. Possible within 72 hours of `undoFrom`'s acceptance.
   */
  async recover(options: {
    userId: string;
    undoFrom: string;
    signer: SigningKeyPair;
    signingKey: SigningKeyPair;
    boxKey?: { publicKey: string };
    rotationKeys?: string[];
    name?: string | null;
  }): Promise<{ record: IdentityRecord; receipt: VerifiedReceipt }> {
    const identity = await this.lookup(options.userId);
    const at = identity.entries.findIndex((e) => recordHash(e.record) === options.undoFrom);
    if (at < 1) throw new TypeError('undoFrom must be the hash of a live record after the genesis');
    const record = await createSuccessorRecord({
      previous: identity.entries[at - 1]!.record,
      signingKey: options.signingKey,
      signer: options.signer,
      ...(options.boxKey !== undefined ? { boxKey: options.boxKey } : {}),
      ...(options.rotationKeys !== undefined ? { rotationKeys: options.rotationKeys } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
    });
    return { record, receipt: await this.submit(record) };
  }

  /** Submits a genesis record (see `createGenesisRecord`) and verifies the registry's receipt. */
  register(record: IdentityRecord): Promise<VerifiedReceipt> {
    return this.write('/v1/users', record);
  }

  /** Submits an update, rotation, revocation or recovery and verifies the receipt. */
  submit(record: IdentityRecord): Promise<VerifiedReceipt> {
    return this.write(`/v1/users/${encodeURIComponent(record.userId)}`, record);
  }

  private async write(path: string, record: IdentityRecord): Promise<VerifiedReceipt> {
    const raw = await this.request('POST', path, record);
    return receiptOf(raw, async () => {
      const receipt = await verifyWriteResult(raw, record, this.key, await this.verifier);
      await this.acceptCheckpoint(receipt.checkpoint);
      await this.acceptHead(record.userId, receipt);
      return receipt;
    });
  }

  /**
   * Looks up a group and verifies everything about it: every record's schema and signature, the
   * chain's links and role rules, that each record's signer was its admin's registry key just
   * before the record's log index (from the admin's verified audit history, itself checked
   * against a verified lookup of the admin), every entry's inclusion in the log, the head's proof,
   * the checkpoint's signature and its consistency with the last one seen.
   * Costs one request per record and per admin's identity record (inclusion proofs), besides the
   * bundle and one lookup and history per admin.
   * @throws VerificationError when any check fails (`BAD_GROUP_SIGNER` for a signer the registry
   * should have refused); RegistryError when the registry refuses (404 `NOT_FOUND`).
   */
  async group(groupId: string): Promise<VerifiedGroup> {
    const group = await this.acrossPages(async (seen) => this.verifiedGroup(groupId, await this.list(`/v1/groups/${encodeURIComponent(groupId)}`, 'entries', LIST_CAPS.chain, seen)));
    await this.acceptCheckpoint(group.checkpoint);
    await this.acceptHead(groupId, group.head, 'group-head');
    return group;
  }

  /** Verifies a whole group bundle (all its pages joined), fetching the evidence it needs. */
  private async verifiedGroup(groupId: string, raw: unknown): Promise<VerifiedGroup> {
    const { adminIds, indexes, headIndex, size } = groupBundleAdmins(raw);
    const histories = await Promise.all(adminIds.map(async (adminId) => [adminId, isPeersId(adminId) ? await this.adminHistory(adminId) : []] as const));
    const proofs = await Promise.all(
      indexes
        .filter((index) => index !== headIndex && index < size)
        .map(async (index) => [index, (await this.request('GET', `/v1/log/proof/inclusion?index=${index}&size=${size}`)) as { index: number; size: number; hashes: string[] }] as const),
    );
    return verifyGroupBundle(raw, groupId, this.key, await this.verifier, { adminHistories: new Map(histories), entryProofs: new Map(proofs) });
  }

  /**
   * An admin's verified audit history, for the signer check: each entry proven in the log, and
   * containing the head a verified lookup gives (so the registry cannot leave off the admin's
   * latest records unnoticed by a client that has seen them). Empty when the user has no identity.
   */
  private async adminHistory(userId: string): Promise<IdentityLogEntry[]> {
    let identity: VerifiedIdentity;
    try {
      identity = await this.lookup(userId);
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) return [];
      throw error;
    }
    const { entries } = await this.history(userId);
    if (!entries.some((e) => e.index === identity.head.index && e.hash === identity.head.hash)) {
      throw new VerificationError('INVALID_RESPONSE', `the audit history of ${userId} lacks the head its lookup proved`);
    }
    return entries.map((e) => ({ index: e.index, hash: e.hash, record: e.record, acceptedAt: parseTimestamp(e.acceptedAt)! }));
  }

  /**
   * A member's keys as a verified group pins them, or null when the group does not list the user.
   * These are the keys the group vouches for; they may differ from the member's own identity
   * (`crossCheckGroupMember` compares the two).
   */
  async keysFromGroup(groupId: string, userId: string): Promise<GroupMemberKeys | null> {
    const group = await this.group(groupId);
    const member = group.members.find((m) => m.userId === userId);
    if (member === undefined) return null;
    return { groupId, userId, publicKey: member.publicKey, publicBoxKey: member.publicBoxKey, role: member.role, group };
  }

  /**
   * Compares the keys a verified group pins for `userId` with the member's own verified identity
   * chain, and reports — never resolves — a difference: `outdated` after a rotation the group has
   * not caught up with, `mismatch` for keys the member never had, `revoked`, `unregistered`.
   * Pass `group` to reuse a group verified a moment ago.
   */
  async crossCheckGroupMember(groupId: string, userId: string, options: { group?: VerifiedGroup } = {}): Promise<MemberCrossCheck> {
    const group = options.group ?? (await this.group(groupId));
    if (group.groupId !== groupId) throw new TypeError(`the group given is ${group.groupId}, not ${groupId}`);
    let identity: VerifiedIdentity | null;
    try {
      identity = await this.lookup(userId);
    } catch (error) {
      if (!(error instanceof RegistryError && error.status === 404)) throw error;
      identity = null;
    }
    return crossCheckMember(group, userId, identity);
  }

  /**
   * The groups whose head lists `userId`, each verified (`group`), with the user's entry. The
   * registry's list is only an index: a group it leaves out cannot be detected here, and a listed
   * group whose verified head no longer lists the user (it moved meanwhile) is left out.
   */
  async groupsOf(userId: string): Promise<Array<{ group: VerifiedGroup; member: GroupMember }>> {
    const raw = await this.list(`/v1/users/${encodeURIComponent(userId)}/groups`, 'groups', LIST_CAPS.groups);
    const parsed = userGroupsSchema.safeParse(raw);
    if (!parsed.success || parsed.data.userId !== userId) throw new VerificationError('INVALID_RESPONSE', 'the answer is not the list of groups of this user');
    const found: Array<{ group: VerifiedGroup; member: GroupMember }> = [];
    for (const { groupId } of parsed.data.groups) {
      const group = await this.group(groupId);
      const member = group.members.find((m) => m.userId === userId);
      if (member !== undefined) found.push({ group, member });
    }
    return found;
  }

  /** Submits a group genesis (see `createGroupGenesis`) and verifies the registry's receipt. */
  registerGroup(record: GroupRecord): Promise<VerifiedReceipt> {
    return this.writeGroup('/v1/groups', record);
  }

  /** Submits a group update (see `createGroupUpdate`) and verifies the receipt. */
  submitGroup(record: GroupRecord): Promise<VerifiedReceipt> {
    return this.writeGroup(`/v1/groups/${encodeURIComponent(record.groupId)}`, record);
  }

  private async writeGroup(path: string, record: GroupRecord): Promise<VerifiedReceipt> {
    const raw = await this.request('POST', path, record);
    return receiptOf(raw, async () => {
      const receipt = await verifyWriteResult(raw, record, this.key, await this.verifier);
      await this.acceptCheckpoint(receipt.checkpoint);
      await this.acceptHead(record.groupId, receipt, 'group-head');
      return receipt;
    });
  }

  /** Publishes a device record (see `createDeviceRecord`); returns the record the registry stored. */
  async publishDevice(record: DeviceRecord): Promise<DeviceRecord> {
    const raw = await this.request('PUT', `/v1/users/${encodeURIComponent(record.userId)}/devices/${encodeURIComponent(record.deviceId)}`, record);
    const stored = this.parseDevice(raw);
    if (JSON.stringify(stored) !== JSON.stringify(parseDeviceRecord(record))) throw new VerificationError('INVALID_RESPONSE', 'the registry stored a different device record');
    return stored;
  }

  /**
   * The user's current devices, each verified: signed by the user's current signing key as a
   * verified lookup gives it, and about this user. Records that fail are left out, not returned.
   */
  async devices(userId: string, identity?: VerifiedIdentity): Promise<DeviceRecord[]> {
    const owner = identity ?? (await this.lookup(userId));
    const list = (await this.list(`/v1/users/${encodeURIComponent(userId)}/devices`, 'devices', LIST_CAPS.devices))['devices'] as unknown[];
    const verify = await this.verifier;
    const verified: DeviceRecord[] = [];
    for (const item of list) {
      const record = this.parseDevice(item);
      if (record.userId !== userId || record.signer !== owner.publicKey || owner.status !== 'active') continue;
      try {
        await verifyDeviceSignature(record, verify);
        verified.push(record);
      } catch {
        // a record the registry should not have served: skipped
      }
    }
    return verified;
  }

  private parseDevice(raw: unknown): DeviceRecord {
    try {
      return parseDeviceRecord(raw);
    } catch (error) {
      throw new VerificationError('BAD_DEVICE', `a device record is invalid: ${(error as Error).message}`);
    }
  }

  /** Fetches the latest checkpoint, verifies it and its consistency with the last one seen. */
  async checkpoint(): Promise<VerifiedCheckpoint> {
    const note = await this.request('GET', '/v1/log/checkpoint', undefined, 'text');
    const checkpoint = await verifyCheckpoint(note as string, this.key, await this.verifier);
    await this.acceptCheckpoint(checkpoint);
    return checkpoint;
  }

  /** The last checkpoint this client verified (from its store), or null. */
  async lastCheckpoint(): Promise<Checkpoint | null> {
    const saved = await this.store.get(`checkpoint:${this.key.name}`);
    if (saved === null || saved === undefined) return null;
    const parsed = JSON.parse(saved) as SavedCheckpoint;
    return { origin: this.key.name, size: parsed.size, root: fromBase64(parsed.root, 32)! };
  }

  /**
   * Checks a newly verified checkpoint against the last one seen: same size, same root; otherwise
   * a consistency proof (in whichever direction) must verify. Keeps the larger of the two.
   */
  private acceptCheckpoint(checkpoint: VerifiedCheckpoint): Promise<void> {
    const task = this.checkpointQueue.then(async () => {
      const last = await this.lastCheckpoint();
      if (last !== null) {
        if (last.size === checkpoint.size) {
          if (toBase64(last.root) !== toBase64(checkpoint.root)) throw new VerificationError('LOG_FORK', `two different checkpoints of size ${last.size}: the log was forked`);
          return;
        }
        const [from, to] = last.size < checkpoint.size ? [last.size, checkpoint.size] : [checkpoint.size, last.size];
        if (from > 0) {
          const raw = await this.request('GET', `/v1/log/proof/consistency?from=${from}&to=${to}`).catch((error: unknown) => {
            if (!(error instanceof RegistryError && error.code === 'NOT_FOUND')) throw error;
            // The registry has no tree of size `to`. If that is the checkpoint this client saw
            // before, the registry (or a replica behind it) serves an older view: retry or ask
            // another. If it is the registry's own checkpoint, it signed what it cannot back.
            throw checkpoint.size < last.size
              ? new VerificationError('STALE_ANSWER', `the registry cannot show its log reaching the ${last.size} entries this client saw before; its view is older (a lagging replica, or a rolled-back log)`)
              : new VerificationError('LOG_FORK', `the registry signed a checkpoint of size ${checkpoint.size} but cannot prove it extends the one of size ${last.size} this client saw`);
          });
          const proof = consistencySchema.safeParse(raw);
          if (!proof.success || proof.data.from !== from || proof.data.to !== to) throw new VerificationError('INVALID_RESPONSE', 'the consistency answer is malformed');
          verifyCheckpointsConsistent(last, checkpoint, proof.data.hashes);
        }
        if (checkpoint.size < last.size) return; // an older view (a lagging replica): consistent, keep ours
      }
      const saved: SavedCheckpoint = { size: checkpoint.size, root: toBase64(checkpoint.root), note: checkpoint.note };
      await this.store.set(`checkpoint:${this.key.name}`, JSON.stringify(saved));
    });
    this.checkpointQueue = task.catch(() => {});
    return task;
  }

  /** Refuses an identity (or group) answer older than one already verified (a head's log index only grows). */
  private async acceptHead(userId: string, head: SeenHead, kind: 'head' | 'group-head' = 'head'): Promise<void> {
    const key = `${kind}:${this.key.name}:${userId}`;
    const saved = await this.store.get(key);
    if (saved !== null && saved !== undefined) {
      const seen = JSON.parse(saved) as SeenHead;
      if (head.index < seen.index) {
        throw new VerificationError('STALE_ANSWER', `the registry answered with ${userId}'s record at log index ${head.index}, but this client already saw index ${seen.index}`);
      }
      if (head.index === seen.index && head.hash !== seen.hash) throw new VerificationError('LOG_FORK', `two different records at log index ${head.index}`);
    }
    await this.store.set(key, JSON.stringify({ index: head.index, hash: head.hash } satisfies SeenHead));
  }

  /**
   * A whole list (DESIGN.md §6, "Pages"): `path` and every page after it, by `next`, joined into
   * one answer whose `list` holds the items of all pages; `seen.pages` is told how many there were.
   */
  async list(path: string, list: string, maxItems: number, seen?: { pages: number }): Promise<Record<string, unknown>> {
    const pages = await fetchAllPages((page) => this.request('GET', page), path, list, maxItems);
    if (seen !== undefined) seen.pages = pages.length;
    return joinPages(pages, list);
  }

  /**
   * Runs `read` (fetch a list and verify it) once more if it fails verification after following
   * several pages: the list may have moved between them (a recovery, a lagging replica). A
   * registry that serves a bad list fails the second time too.
   */
  private async acrossPages<T>(read: (seen: { pages: number }) => Promise<T>): Promise<T> {
    const seen = { pages: 0 };
    try {
      return await read(seen);
    } catch (error) {
      if (!(error instanceof VerificationError) || seen.pages < 2) throw error;
      return read({ pages: 0 });
    }
  }

  /** One HTTP request; problem answers become RegistryErrors, bodies are parsed strictly. */
  async request(method: string, path: string, body?: unknown, as: 'json' | 'text' = 'json'): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetcher(this.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new RegistryError(0, 'NETWORK', `could not reach ${this.url}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      let code: RegistryError['code'] = 'UNKNOWN';
      let detail = text.slice(0, 300);
      try {
        const problem = problemSchema.safeParse(parseResponseJson(text));
        if (problem.success) {
          code = problem.data.code as ErrorCode;
          detail = problem.data.detail ?? detail;
        }
      } catch {
        // not a problem document
      }
      throw new RegistryError(response.status, code, `${method} ${path}: ${response.status} ${code}: ${detail}`);
    }
    if (as === 'text') return text;
    try {
      return parseResponseJson(text);
    } catch {
      throw new VerificationError('INVALID_RESPONSE', `${method} ${path}: the answer is not valid JSON`);
    }
  }
}



/**
 * Runs a write answer's checks; a check that fails after the registry accepted the write becomes
 * a ReceiptNotVerifiedError, naming the index the (unverified) answer claims, if it names one.
 */
async function receiptOf(raw: unknown, verify: () => Promise<VerifiedReceipt>): Promise<VerifiedReceipt> {
  try {
    return await verify();
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    const claimed = (raw as { index?: unknown } | null)?.index;
    throw new ReceiptNotVerifiedError(Number.isSafeInteger(claimed) && (claimed as number) >= 0 ? (claimed as number) : null, error);
  }
}

/** Registry answers are parsed by the same strict parser as requests (no duplicate keys). */
function parseResponseJson(text: string): unknown {
  return parseJson(text, 64);
}
