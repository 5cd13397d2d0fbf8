/**
 * The Peers decision rule (DESIGN.md §10.2; peers-app.github.io docs/System/Key-Registry.md, "How a
 * peer decides"): whether a key a peer presents is a user's current key, asked of the user's
 * anchors on record. Each anchor answers
 *
 * - **confirm**: a document for this user that lists the presented key;
 * - **veto**: 404, the wrong user, a document without the key (or with no key: revoked), a body
 *   that is not a document or is over 64 KiB;
 * - **abstain**: a timeout, a network error, a redirect, 408, 429 or a 5xx;
 *
 * and the key is **accepted** when at least one anchor confirms and none vetoes, **refused** when
 * any vetoes, and **pending** otherwise (no anchors, or all abstain).
 *
 * An anchor is either a peerkeys registry (a RegistryClient: its answer is a verified lookup, so
 * every check the client makes — chain, proofs, checkpoint consistency, and whatever later
 * versions add — applies) or the https URL of an anchor document (fetched with the Peers bounds:
 * 8 seconds for the whole exchange, 64 KiB of body, no redirect followed).
 */
import { boxKeyBinding } from '../protocol/box-key.js';
import { fromBase64Url, fromUtf8 } from '../protocol/encoding.js';
import { isPeersId } from '../protocol/ids.js';
import { parseJson } from '../protocol/json.js';
import { ANCHOR_DOCUMENT_MAX_BYTES, ANCHOR_FETCH_TIMEOUT_MS, listsKey, readAnchorDocument, type AnchorDocument } from '../protocol/peers-anchor.js';
import type { RegistryClient } from './client.js';
import { NotFoundError, RegistryError, VerificationError } from './errors.js';
import type { VerifiedIdentity } from './verify.js';

/** A peerkeys registry, or the URL of an anchor document (https; http only when allowed). */
export type Anchor = RegistryClient | string;

export type AnchorVerdict = 'confirm' | 'veto' | 'abstain';
export type AnchorDecision = 'accepted' | 'refused' | 'pending';

/** Why an anchor answered as it did; stable, for branching and logs. */
export type AnchorReason =
  /** confirm: the document (or the verified head) lists the presented key. */
  | 'LISTED'
  /** veto: 404, no such user (a registry's: proven absent by its key map). */
  | 'NOT_FOUND'
  /** veto: a document about another user. */
  | 'WRONG_USER'
  /** veto: the document lists keys, not the presented one. */
  | 'KEY_NOT_LISTED'
  /** veto: the identity is revoked (a document that lists no key). */
  | 'REVOKED'
  /** veto: the presented box key is not the one the anchor vouches for (a registry's, or the derived one). */
  | 'BOX_KEY_MISMATCH'
  /** veto: the body is not an anchor document (not UTF-8, not strict JSON, wrong shape, version ≠ 1). */
  | 'NOT_A_DOCUMENT'
  /** veto: the body is over the size bound. */
  | 'TOO_LARGE'
  /** veto: an HTTP status Peers does not list (401, 403, 410, 204…): only a 200 serves a document. */
  | 'UNEXPECTED_STATUS'
  /** veto: a registry's answer failed verification (forged proof, forked log…). */
  | 'UNVERIFIABLE'
  /** abstain: no complete answer within the time bound. */
  | 'TIMEOUT'
  /** abstain: the anchor could not be reached. */
  | 'NETWORK'
  /** abstain: a redirect (never followed). */
  | 'REDIRECT'
  /** abstain: 408, 429 or a 5xx. */
  | 'UNAVAILABLE'
  /** abstain: a registry's answer is older than one this client saw (a lagging replica). */
  | 'STALE_ANSWER'
  /** abstain: the registry holds the userId unbound (first come, first served) and unbound ids were not allowed. */
  | 'UNBOUND_ID'
  /** abstain: an anchor URL that is not https (and http was not allowed), or no URL at all. */
  | 'UNUSABLE_ANCHOR';

/** One anchor's answer. */
export interface AnchorAnswer {
  /** The registry's URL or the document's URL. */
  anchor: string;
  kind: 'registry' | 'document';
  answer: AnchorVerdict;
  reason: AnchorReason;
  /** A human-readable account (not for branching). */
  detail: string;
  /** The HTTP status a document anchor answered with, when it answered. */
  status?: number;
  /** The document a document anchor served, when it served one. */
  document?: AnchorDocument;
  /** The verified identity a registry anchor gave, when it gave one. */
  identity?: VerifiedIdentity;
  /** A document anchor's `Cache-Control: max-age`, in seconds, when it sent one: how long a confirm may be kept. */
  maxAgeSeconds?: number;
}

export interface AnchorResolution {
  userId: string;
  publicKey: string;
  decision: AnchorDecision;
  /** One answer per anchor, in the order the anchors were given. */
  answers: AnchorAnswer[];
}

/** The keys a peer presents: its signing key and, when known, its box key. */
export interface PresentedKeys {
  publicKey: string;
  /** When given, it must be the key the anchor vouches for too (a document vouches for the derived one). */
  publicBoxKey?: string;
}

export interface ResolveAnchorsOptions {
  /** The time bound of each anchor's answer, in ms (default 8000, the Peers bound). */
  timeoutMs?: number;
  /** The body bound of a document anchor, in bytes (default 65536, the Peers bound). */
  maxBytes?: number;
  /** The fetch for document anchors (default: the global fetch). */
  fetch?: typeof fetch;
  /** Fetch `http:` anchor URLs too (tests, a LAN). Off: such an anchor abstains. */
  allowHttp?: boolean;
  /**
   * Let a registry confirm or veto for a userId not bound to its genesis (DESIGN.md §1.2).
   * Off: the registry abstains for such an id, as `registryTrust` refuses it.
   */
  allowUnboundIds?: boolean;
}

/** The Peers rule over the answers: any veto refuses, else one confirm accepts, else pending. */
export function anchorDecision(answers: readonly Pick<AnchorAnswer, 'answer'>[]): AnchorDecision {
  if (answers.some((a) => a.answer === 'veto')) return 'refused';
  if (answers.some((a) => a.answer === 'confirm')) return 'accepted';
  return 'pending';
}

/**
 * Asks every anchor (in parallel) whether `presented` is `userId`'s current key, and decides by
 * the Peers rule. Never throws for what an anchor does; throws TypeError for arguments that are
 * no userId or key.
 */
export async function resolveAnchors(userId: string, presented: PresentedKeys | string, anchors: readonly Anchor[], options: ResolveAnchorsOptions = {}): Promise<AnchorResolution> {
  const keys = typeof presented === 'string' ? { publicKey: presented } : presented;
  if (!isPeersId(userId)) throw new TypeError('userId is not a Peers id');
  if (fromBase64Url(keys.publicKey, 32) === null) throw new TypeError('publicKey is not a 32-byte base64url key');
  if (keys.publicBoxKey !== undefined && fromBase64Url(keys.publicBoxKey, 32) === null) throw new TypeError('publicBoxKey is not a 32-byte base64url key');
  const answers = await Promise.all(anchors.map((anchor) => (typeof anchor === 'string' ? askDocument(anchor, userId, keys, options) : askRegistry(anchor, userId, keys, options))));
  return { userId, publicKey: keys.publicKey, decision: anchorDecision(answers), answers };
}

function answer(anchor: string, kind: AnchorAnswer['kind'], verdict: AnchorVerdict, reason: AnchorReason, detail: string, extra: Partial<AnchorAnswer> = {}): AnchorAnswer {
  return { anchor, kind, answer: verdict, reason, detail, ...extra };
}

/** What a verified lookup came to: the identity, or why there is none and what that means for an anchor. */
export type LookupOutcome =
  | { identity: VerifiedIdentity; error?: never }
  | { identity?: never; error: unknown; verdict: 'veto' | 'abstain'; reason: AnchorReason; detail: string };

/**
 * A verified lookup of `userId` in one registry, classified as the Peers rule reads it. Shared by
 * resolveAnchors, lookupQuorum and registryTrust, so all three see a registry the same way.
 * `timeoutMs` bounds the whole lookup (the request is not cancelled, only no longer waited for).
 */
export async function lookupOutcome(client: RegistryClient, userId: string, timeoutMs?: number): Promise<LookupOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = Symbol('timeout');
  try {
    const lookup = client.lookup(userId);
    const result =
      timeoutMs === undefined
        ? await lookup
        : await Promise.race([lookup, new Promise<typeof timedOut>((resolve) => (timer = setTimeout(() => resolve(timedOut), timeoutMs)))]);
    if (result === timedOut) {
      lookup.catch(() => {}); // answered too late: nobody waits for it
      return { error: new RegistryError(0, 'NETWORK', `no answer from ${client.url} within ${timeoutMs} ms`), verdict: 'abstain', reason: 'TIMEOUT', detail: `no answer within ${timeoutMs} ms` };
    }
    return { identity: result };
  } catch (error) {
    return { error, ...classifyLookupError(error) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function classifyLookupError(error: unknown): { verdict: 'veto' | 'abstain'; reason: AnchorReason; detail: string } {
  // Only a proven absence is "no such user"; an unproven 404 is a VerificationError (UNVERIFIED_ABSENCE).
  if (error instanceof NotFoundError) return { verdict: 'veto', reason: 'NOT_FOUND', detail: error.message };
  if (error instanceof RegistryError) {
    if (error.status === 0) return { verdict: 'abstain', reason: 'NETWORK', detail: error.message };
    if (error.status === 408 || error.status === 429 || error.status >= 500) return { verdict: 'abstain', reason: 'UNAVAILABLE', detail: error.message };
    return { verdict: 'veto', reason: 'UNEXPECTED_STATUS', detail: error.message };
  }
  if (error instanceof VerificationError) {
    if (error.code === 'STALE_ANSWER') return { verdict: 'abstain', reason: 'STALE_ANSWER', detail: error.message };
    return { verdict: 'veto', reason: 'UNVERIFIABLE', detail: `${error.code}: ${error.message}` };
  }
  // Anything else went wrong while checking the answer: nothing was verified, so it cannot confirm.
  return { verdict: 'veto', reason: 'UNVERIFIABLE', detail: String((error as Error)?.message ?? error) };
}

/** A peerkeys registry as an anchor: a verified lookup, compared with the presented keys. */
export async function askRegistry(client: RegistryClient, userId: string, presented: PresentedKeys, options: ResolveAnchorsOptions = {}): Promise<AnchorAnswer> {
  const outcome = await lookupOutcome(client, userId, options.timeoutMs ?? ANCHOR_FETCH_TIMEOUT_MS);
  const reply = (verdict: AnchorVerdict, reason: AnchorReason, detail: string, extra: Partial<AnchorAnswer> = {}) => answer(client.url, 'registry', verdict, reason, detail, extra);
  if (outcome.identity === undefined) return reply(outcome.verdict, outcome.reason, outcome.detail);
  const identity = outcome.identity;
  if (identity.idBinding !== 'self-certifying' && options.allowUnboundIds !== true) {
    return reply('abstain', 'UNBOUND_ID', `${userId} is not bound to its genesis in this registry: whoever registered it first holds it`, { identity });
  }
  if (identity.status !== 'active') return reply('veto', 'REVOKED', `${userId} is revoked`, { identity });
  if (identity.publicKey !== presented.publicKey) return reply('veto', 'KEY_NOT_LISTED', `the current key of ${userId} is another one`, { identity });
  if (presented.publicBoxKey !== undefined && identity.publicBoxKey !== presented.publicBoxKey) {
    return reply('veto', 'BOX_KEY_MISMATCH', `the current box key of ${userId} is another one`, { identity });
  }
  return reply('confirm', 'LISTED', `the verified head of ${userId} names the key`, { identity });
}

function maxAgeOf(header: string | null): number | undefined {
  const match = header === null ? null : /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?:,|$)/i.exec(header);
  return match === null ? undefined : Number(match[1]);
}

/** Reads at most `limit` bytes of a body; null when it holds more (reading stops there). */
async function readBounded(response: Response, limit: number): Promise<Uint8Array | null> {
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    await response.body?.cancel().catch(() => {});
    return null;
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/** An https anchor document: fetched within the bounds, then read as the Peers table says. */
export async function askDocument(url: string, userId: string, presented: PresentedKeys, options: ResolveAnchorsOptions = {}): Promise<AnchorAnswer> {
  const reply = (verdict: AnchorVerdict, reason: AnchorReason, detail: string, extra: Partial<AnchorAnswer> = {}) => answer(url, 'document', verdict, reason, detail, extra);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return reply('abstain', 'UNUSABLE_ANCHOR', 'not a URL');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && options.allowHttp === true)) {
    return reply('abstain', 'UNUSABLE_ANCHOR', `a ${parsed.protocol} anchor is not used (https only)`);
  }
  const timeoutMs = options.timeoutMs ?? ANCHOR_FETCH_TIMEOUT_MS;
  const limit = options.maxBytes ?? ANCHOR_DOCUMENT_MAX_BYTES;
  const fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const controller = new AbortController();
  // One bound for the whole exchange, headers and body: a slow drip of bytes times out too.
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response: Response;
  let body: Uint8Array | null;
  try {
    response = await fetcher(url, { method: 'GET', redirect: 'manual', signal: controller.signal, credentials: 'omit', headers: { accept: 'application/json' } });
    const status = response.status;
    if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
      await response.body?.cancel().catch(() => {});
      return reply('abstain', 'REDIRECT', `a redirect (${status}) is not followed`, { status });
    }
    if (status === 408 || status === 429 || status >= 500) {
      await response.body?.cancel().catch(() => {});
      return reply('abstain', 'UNAVAILABLE', `answered ${status}`, { status });
    }
    if (status === 404) {
      await response.body?.cancel().catch(() => {});
      return reply('veto', 'NOT_FOUND', 'answered 404', { status });
    }
    if (status !== 200) {
      await response.body?.cancel().catch(() => {});
      return reply('veto', 'UNEXPECTED_STATUS', `answered ${status}, which serves no document`, { status });
    }
    body = await readBounded(response, limit);
  } catch (error) {
    if (controller.signal.aborted) return reply('abstain', 'TIMEOUT', `no complete answer within ${timeoutMs} ms`);
    return reply('abstain', 'NETWORK', `could not fetch: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const status = response.status;
  const maxAge = maxAgeOf(response.headers.get('cache-control'));
  const extra: Partial<AnchorAnswer> = { status, ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}) };
  if (body === null) return reply('veto', 'TOO_LARGE', `the body is over ${limit} bytes`, extra);
  const text = fromUtf8(body);
  let document: AnchorDocument | null = null;
  if (text !== null) {
    try {
      document = readAnchorDocument(parseJson(text));
    } catch {
      document = null;
    }
  }
  if (document === null) return reply('veto', 'NOT_A_DOCUMENT', 'the body is not an anchor document', extra);
  extra.document = document;
  if (document.userId !== userId) return reply('veto', 'WRONG_USER', `the document is about ${document.userId}`, extra);
  if (document.keys.length === 0) return reply('veto', 'REVOKED', 'the document lists no key', extra);
  if (!listsKey(document, presented.publicKey)) return reply('veto', 'KEY_NOT_LISTED', 'the document does not list the key', extra);
  // A document lists signing keys only; the box key it vouches for is the derived one (DESIGN.md §10.3).
  if (presented.publicBoxKey !== undefined && boxKeyBinding(presented.publicKey, presented.publicBoxKey) !== 'derived') {
    return reply('veto', 'BOX_KEY_MISMATCH', 'the box key is not the one derived from the listed signing key', extra);
  }
  return reply('confirm', 'LISTED', 'the document lists the key', extra);
}
