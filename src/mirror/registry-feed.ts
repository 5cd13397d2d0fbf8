/**
 * A registry's public log as a follower (the mirror, `peerkeys log verify`) reads it over HTTP:
 * the latest checkpoint, verified against the pinned key; consistency proofs; and the entries in
 * pages, checked for shape and order — the HTTP LogSource of a replay (src/ledger/replay.ts). Everything is attacker-controlled
 * input until checked: responses are parsed by the SDK's strict JSON parser (RegistryClient).
 */
import * as z from 'zod';
import type { LogSource, SourceEntry } from '../ledger/index.js';
import type { NoteKey } from '../protocol/checkpoint.js';
import { fromBase64Url } from '../protocol/encoding.js';
import type { JsonObject } from '../protocol/json.js';
import { parseTimestamp } from '../protocol/time.js';
import { RegistryClient } from '../sdk/client.js';
import { VerificationError } from '../sdk/errors.js';
import { consistencySchema, entrySchema } from '../sdk/responses.js';
import type { ClientStore } from '../sdk/store.js';
import { verifyCheckpoint, type VerifiedCheckpoint } from '../sdk/verify.js';
import { nodeVerify } from '../node/node-ed25519.js';

/** The most entries GET /v1/log/entries gives at once (DESIGN.md §6). */
export const ENTRIES_PAGE = 1000;

/** One log entry as fetched: its record is a JSON object, not yet checked as a record. */
export interface FetchedEntry extends SourceEntry {
  record: JsonObject;
}

/**
 * The registry's checkpoint covers entries it did not serve (yet): a read replica behind the
 * primary that signed the checkpoint (DESIGN.md §9). Worth a retry, not an alarm.
 */
export class EntriesBehind extends Error {
  constructor(
    readonly next: number,
    readonly size: number,
  ) {
    super(`the registry served no entry ${next} though its checkpoint has ${size} entries (a lagging replica?)`);
    this.name = 'EntriesBehind';
  }
}

const entriesPageSchema = z.object({ entries: z.array(entrySchema).max(ENTRIES_PAGE), next: z.int().min(0).optional() });

/** A page of entries as served: checked, and where the log goes on (undefined: the end of the log, as the registry saw it). */
export interface EntriesPage {
  entries: FetchedEntry[];
  next: number | undefined;
}

export interface RegistryFeedOptions {
  url: string;
  vkey: string;
  store?: ClientStore;
  fetch?: typeof fetch;
  /**
   * The client's maximum checkpoint age (RegistryClientOptions). A verifier of the log passes
   * Infinity: an old checkpoint is no reason not to check the log it signs.
   */
  maxCheckpointAgeMs?: number;
}

export class RegistryFeed implements LogSource {
  /** The SDK client used for requests; its store keeps the last checkpoint seen (log verify). */
  readonly client: RegistryClient;

  constructor(options: RegistryFeedOptions) {
    this.client = new RegistryClient({
      url: options.url,
      vkey: options.vkey,
      verify: nodeVerify,
      ...(options.store !== undefined ? { store: options.store } : {}),
      ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
      ...(options.maxCheckpointAgeMs !== undefined ? { maxCheckpointAgeMs: options.maxCheckpointAgeMs } : {}),
    });
  }

  get url(): string {
    return this.client.url;
  }

  get key(): NoteKey {
    return this.client.key;
  }

  /** The registry's latest checkpoint, its signature verified against the pinned key. */
  async checkpoint(): Promise<VerifiedCheckpoint> {
    const note = await this.client.request('GET', '/v1/log/checkpoint', undefined, 'text');
    return verifyCheckpoint(note as string, this.key, nodeVerify);
  }

  /** The consistency proof between tree sizes `from` and `to`, decoded (not yet verified). */
  async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    const parsed = consistencySchema.safeParse(await this.client.request('GET', `/v1/log/proof/consistency?from=${from}&to=${to}`));
    if (!parsed.success || parsed.data.from !== from || parsed.data.to !== to) {
      throw new VerificationError('INVALID_RESPONSE', `the consistency proof from ${from} to ${to} is malformed`);
    }
    return parsed.data.hashes.map((h) => fromBase64Url(h, 32) ?? invalid('a consistency proof hash is not 32 bytes of base64url'));
  }

  /**
   * Up to `limit` entries from `start`, as served (possibly fewer: a page is also cut by bytes,
   * DESIGN.md §6), each checked to be the next index, and where the log goes on.
   */
  async page(start: number, limit: number): Promise<EntriesPage> {
    const parsed = entriesPageSchema.safeParse(await this.client.request('GET', `/v1/log/entries?start=${start}&limit=${limit}`));
    if (!parsed.success) invalid(`the entries from ${start} are not an entries page`);
    const { entries, next } = parsed.data;
    if (entries.length > limit) invalid(`asked for ${limit} entries from ${start}, the registry sent ${entries.length}`);
    if (next !== undefined && (entries.length === 0 || next !== start + entries.length)) invalid(`the page of entries from ${start} says the log goes on at ${next}, after ${entries.length} entries`);
    return {
      next,
      entries: entries.map((entry, i) => {
        const index = start + i;
        if (entry.index !== index) invalid(`asked for entry ${index}, the registry answered with entry ${entry.index}`);
        const acceptedAtMs = parseTimestamp(entry.acceptedAt) ?? invalid(`entry ${index} has a malformed acceptedAt`);
        const record = entry.record as JsonObject;
        return { index, acceptedAt: entry.acceptedAt, acceptedAtMs, record };
      }),
    };
  }

  /** Entries `start` to `end - 1`, a page at a time, however the registry cuts its pages (the LogSource a replay reads). */
  async *pages(start: number, end: number, pageSize = ENTRIES_PAGE): AsyncGenerator<FetchedEntry[]> {
    let next = start;
    while (next < end) {
      const { entries } = await this.page(next, Math.min(pageSize, end - next));
      if (entries.length === 0) throw new EntriesBehind(next, end);
      next += entries.length;
      yield entries;
    }
  }
}

function invalid(message: string): never {
  throw new VerificationError('INVALID_RESPONSE', message);
}
