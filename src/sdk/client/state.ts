/** What a RegistryClient remembers between calls: the last verified checkpoint and heads, each new answer checked against them. */
import type { Checkpoint } from '../../protocol/checkpoint.js';
import { fromBase64, toBase64 } from '../../protocol/encoding.js';
import type { MapKey } from '../../protocol/key-map.js';
import { NotFoundError, ReceiptNotVerifiedError, RegistryError, VerificationError } from '../errors.js';
import { checkCheckpointTime, verifyAbsence, verifyRegistryCheckpoint, type VerifiedRegistryCheckpoint } from '../map-verify.js';
import { consistencySchema } from '../responses.js';
import type { GroupRecord } from '../../protocol/group.js';
import type { IdentityRecord } from '../../protocol/identity.js';
import { verifyCheckpointsConsistent, verifyWriteResult, type VerifiedReceipt } from '../verify.js';
import { RegistryHttp } from './http.js';
import { requireCosignatures } from './witness-policy.js';

/** The last verified head of an identity, to detect answers older than ones already seen. */
interface SeenHead {
  index: number;
  hash: string;
}

interface SavedCheckpoint {
  size: number;
  root: string;
  note: string;
  /** The map root and time (absent in what an SDK before the key map saved). */
  mapRoot?: string;
  time?: number;
}

/** What acceptHead keeps per identity or group: a head's kind in the store. */
type HeadKind = 'head' | 'group-head';

export class VerifiedState extends RegistryHttp {
  /** Serialises updates of the stored checkpoint across concurrent calls. */
  private checkpointQueue: Promise<unknown> = Promise.resolve();

  /** Reads a value this client keeps in its store (namespaced by the registry's origin). */
  async loadState(name: string): Promise<string | null> {
    return (await this.store.get(`${name}:${this.key.name}`)) ?? null;
  }

  /** Keeps a value in this client's store (namespaced by the registry's origin). */
  async saveState(name: string, value: string): Promise<void> {
    await this.store.set(`${name}:${this.key.name}`, value);
  }

  /**
   * Fetches the latest checkpoint and verifies it: its signature, its map and time lines, its age
   * (`maxCheckpointAgeMs`) and its consistency with the last one seen.
   */
  async checkpoint(): Promise<VerifiedRegistryCheckpoint> {
    const note = await this.request('GET', '/v1/log/checkpoint', undefined, 'text');
    const checkpoint = await verifyRegistryCheckpoint(note as string, this.key, await this.verifier);
    await this.acceptCheckpoint(checkpoint);
    return checkpoint;
  }

  /** The last checkpoint this client verified (from its store), or null. */
  async lastCheckpoint(): Promise<Checkpoint | null> {
    const saved = await this.store.get(`checkpoint:${this.key.name}`);
    if (saved === null || saved === undefined) return null;
    const parsed = JSON.parse(saved) as SavedCheckpoint;
    const mapRoot = parsed.mapRoot === undefined ? null : fromBase64(parsed.mapRoot, 32);
    return {
      origin: this.key.name,
      size: parsed.size,
      root: fromBase64(parsed.root, 32)!,
      ...(mapRoot !== null && typeof parsed.time === 'number' ? { mapRoot, time: parsed.time } : {}),
    };
  }

  /**
   * Checks a newly verified checkpoint: its time against this client's clock (STALE_CHECKPOINT,
   * or BAD_CHECKPOINT FUTURE_TIME), then against the last one seen: at the same size, the same
   * log root and the same map root; otherwise a consistency proof (in whichever direction) must
   * verify. Keeps the larger of the two.
   */
  protected acceptCheckpoint(checkpoint: VerifiedRegistryCheckpoint): Promise<void> {
    const task = this.checkpointQueue.then(async () => {
      checkCheckpointTime(checkpoint, this.key, { now: this.now(), maxAgeMs: this.maxCheckpointAgeMs });
      await this.requireCosignatures(checkpoint);
      const last = await this.lastCheckpoint();
      if (last !== null) {
        if (last.size === checkpoint.size) {
          if (toBase64(last.root) !== toBase64(checkpoint.root)) throw new VerificationError('LOG_FORK', `two different checkpoints of size ${last.size}: the log was forked`);
          // The map root is a function of the log: one log, one map (a split view otherwise).
          if (last.mapRoot !== undefined && toBase64(last.mapRoot) !== toBase64(checkpoint.mapRoot)) {
            throw new VerificationError('LOG_FORK', `two checkpoints of size ${last.size} with different map roots: the registry shows different maps of one log`);
          }
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
      const saved: SavedCheckpoint = { size: checkpoint.size, root: toBase64(checkpoint.root), note: checkpoint.note, mapRoot: toBase64(checkpoint.mapRoot), time: checkpoint.time };
      await this.store.set(`checkpoint:${this.key.name}`, JSON.stringify(saved));
    });
    this.checkpointQueue = task.catch(() => {});
    return task;
  }

  /** Enforces the witness policy (RegistryClientOptions.witnesses), if any (client/witness-policy.ts). */
  private async requireCosignatures(checkpoint: VerifiedRegistryCheckpoint): Promise<void> {
    if (this.witnesses === null) return;
    // Not a lazy import(): bundlers would split the SDK's modules into more, smaller files, which
    // compress worse (measured: the lookup page's first load grew by 1.3 kB gzipped, not shrank).
    await requireCosignatures(checkpoint, this.witnesses, {
      key: this.key,
      verify: await this.verifier,
      now: this.now,
      request: (path) => this.request('GET', path, undefined, path.startsWith('/v1/log/checkpoint') ? 'text' : 'json'),
    });
  }

  /**
   * Turns a lookup's failure into what it means: a 404 (whatever its code) claims the id is
   * absent, which holds only with a verified absence proof against a fresh checkpoint consistent
   * with the ones seen — a NotFoundError; otherwise UNVERIFIED_ABSENCE. Other errors pass through.
   */
  protected async absence(error: unknown, key: MapKey): Promise<never> {
    if (!(error instanceof RegistryError) || error.status !== 404) throw error;
    const checkpoint = await verifyAbsence(error.problem, key, this.key, await this.verifier);
    // An absence holds only as of its checkpoint: one older than a checkpoint this client already
    // verified says nothing about the entries in between (the id may be among them).
    const last = await this.lastCheckpoint();
    if (last !== null && checkpoint.size < last.size) {
      throw new VerificationError('STALE_ANSWER', `the registry answers 404 for ${key.id} with a checkpoint of size ${checkpoint.size}, older than the one of size ${last.size} this client saw`);
    }
    await this.acceptCheckpoint(checkpoint);
    const seen = await this.seenHead(key.id, key.kind === 'user' ? 'head' : 'group-head');
    // The checkpoint is at least as large as every one seen, so it covers a head this client
    // verified: a map without it is not the function of the log.
    if (seen !== null) {
      throw new VerificationError('UNVERIFIED_ABSENCE', `the key map of the checkpoint of size ${checkpoint.size} lacks ${key.id}, whose record at log index ${seen.index} this client saw: the map is not the log's`);
    }
    throw new NotFoundError(key.kind, key.id, checkpoint);
  }

  private async seenHead(id: string, kind: HeadKind): Promise<SeenHead | null> {
    const saved = await this.store.get(`${kind}:${this.key.name}:${id}`);
    return saved === null || saved === undefined ? null : (JSON.parse(saved) as SeenHead);
  }

  /** Refuses an identity (or group) answer older than one already verified (a head's log index only grows). */
  protected async acceptHead(userId: string, head: SeenHead, kind: HeadKind = 'head'): Promise<void> {
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
   * Posts a record and verifies the receipt: its inclusion and map proofs, its checkpoint against
   * the ones seen, and its head against the one seen for the record's id (`id`, of `kind`).
   */
  protected async postRecord(path: string, record: IdentityRecord | GroupRecord, id: string, kind: HeadKind): Promise<VerifiedReceipt> {
    const raw = await this.request('POST', path, record);
    return receiptOf(raw, async () => {
      const receipt = await verifyWriteResult(raw, record, this.key, await this.verifier);
      await this.acceptCheckpoint(receipt.checkpoint);
      await this.acceptHead(id, receipt, kind);
      return receipt;
    });
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
