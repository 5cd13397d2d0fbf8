/** RegistryClient's HTTP layer: the registry's URL and pinned key, requests, problem answers as RegistryErrors, strict JSON. */
import { parseVerifierKey, type NoteKey } from '../../protocol/checkpoint.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { parseJson } from '../../protocol/json.js';
import type { VerifySignature } from '../../protocol/signing.js';
import { defaultVerifier } from '../crypto.js';
import { RegistryError, VerificationError } from '../errors.js';
import { DEFAULT_MAX_CHECKPOINT_AGE_MS } from '../map-verify.js';
import { fetchAllPages, joinPages } from '../pages.js';
import { problemSchema, proofSchema } from '../responses.js';
import { MemoryStore, type ClientStore } from '../store.js';
import type { WitnessOptions } from './witness-policy.js';

export interface RegistryClientOptions {
  /** The registry's base URL, e.g. `https://keys.example.org`. */
  url: string;
  /**
   * The registry's log verifier key (C2SP vkey, as `GET /v1/registry` shows it), obtained out of
   * band and pinned: every checkpoint must be signed by it.
   */
  vkey: string;
  /**
   * A witness policy (DESIGN.md §5.4): every checkpoint must carry valid cosignatures by at least
   * `quorum` of these witnesses (their cosigner vkeys, type 0x04), else INSUFFICIENT_COSIGNATURES.
   * A fresh checkpoint the witnesses have not cosigned yet passes once a checkpoint they did cosign
   * extends it: the client asks the registry for one, again every quarter second until `waitMs`
   * milliseconds have passed since its first ask, the asks' own time included (default 5000; 0
   * asks once), before it refuses. Default: none required.
   */
  witnesses?: WitnessOptions;
  /** Where verified state is kept between calls (default: memory). */
  store?: ClientStore;
  /** Signature verification (default: WebCrypto Ed25519 when available, else tweetnacl). */
  verify?: VerifySignature;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
  /**
   * The oldest a checkpoint may be, in milliseconds (default 600000, 10 minutes): an answer whose
   * checkpoint's `time` is older is STALE_CHECKPOINT. The registry signs a fresh checkpoint at
   * least every minute, so an old one means whoever answered is replaying an old view.
   */
  maxCheckpointAgeMs?: number;
  /** The clock checkpoints' times are compared with, in Unix milliseconds (default `Date.now`). */
  now?: () => number;
}

export class RegistryHttp {
  /** The registry's base URL, without a trailing slash. */
  readonly url: string;
  /** The pinned log key. */
  readonly key: NoteKey;
  /** The cosignatures every checkpoint needs, or null (RegistryClientOptions.witnesses; parsed at first use). */
  protected readonly witnesses: WitnessOptions | null;
  protected readonly store: ClientStore;
  private readonly fetcher: typeof fetch;
  protected readonly verifier: Promise<VerifySignature>;
  /** See RegistryClientOptions.maxCheckpointAgeMs. */
  protected readonly maxCheckpointAgeMs: number;
  /** See RegistryClientOptions.now. */
  protected readonly now: () => number;

  constructor(options: RegistryClientOptions) {
    const key = parseVerifierKey(options.vkey);
    if (key === null) throw new TypeError('vkey is not a valid C2SP Ed25519 verifier key (<name>+<hex id>+<base64 key>)');
    this.url = options.url.replace(/\/+$/, '');
    this.key = key;
    const waitMs = options.witnesses?.waitMs;
    if (waitMs !== undefined && !(Number.isFinite(waitMs) && waitMs >= 0)) throw new TypeError('witnesses.waitMs is a number of milliseconds, at least 0');
    this.witnesses = options.witnesses === undefined ? null : { ...options.witnesses, vkeys: [...options.witnesses.vkeys] };
    this.store = options.store ?? new MemoryStore();
    this.fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.verifier = options.verify !== undefined ? Promise.resolve(options.verify) : defaultVerifier();
    const maxAge = options.maxCheckpointAgeMs ?? DEFAULT_MAX_CHECKPOINT_AGE_MS;
    if (!(maxAge >= 0)) throw new TypeError('maxCheckpointAgeMs is a number of milliseconds, at least 0');
    this.maxCheckpointAgeMs = maxAge;
    this.now = options.now ?? Date.now;
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
      let body: unknown;
      try {
        body = parseResponseJson(text);
        const problem = problemSchema.safeParse(body);
        if (problem.success) {
          code = problem.data.code as ErrorCode;
          detail = problem.data.detail ?? detail;
        }
      } catch {
        // not a problem document
      }
      throw new RegistryError(response.status, code, `${method} ${path}: ${response.status} ${code}: ${detail}`, undefined, body);
    }
    if (as === 'text') return text;
    try {
      return parseResponseJson(text);
    } catch {
      throw new VerificationError('INVALID_RESPONSE', `${method} ${path}: the answer is not valid JSON`);
    }
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
  protected async acrossPages<T>(read: (seen: { pages: number }) => Promise<T>): Promise<T> {
    const seen = { pages: 0 };
    try {
      return await read(seen);
    } catch (error) {
      if (!(error instanceof VerificationError) || seen.pages < 2) throw error;
      return read({ pages: 0 });
    }
  }

  /**
   * GET /v1/log/proof/inclusion, its shape checked (attacker-controlled until verified). The type
   * is written out, not zod's, so that the SDK's declarations name no zod type.
   */
  protected async inclusionProof(index: number, size: number): Promise<{ index: number; size: number; hashes: string[] }> {
    const parsed = proofSchema.safeParse(await this.request('GET', `/v1/log/proof/inclusion?index=${index}&size=${size}`));
    if (!parsed.success) throw new VerificationError('INVALID_RESPONSE', `the inclusion proof of entry ${index} in the tree of ${size} entries is malformed`);
    return parsed.data;
  }
}

/** Registry answers are parsed by the same strict parser as requests (no duplicate keys). */
function parseResponseJson(text: string): unknown {
  return parseJson(text, 64);
}
