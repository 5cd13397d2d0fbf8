/**
 * The Peers anchor document (DESIGN.md §10; peers-app.github.io docs/System/Key-Registry.md):
 * what an anchor publishes about a user's current keys, and how a reader takes one apart.
 *
 *   { "version": 1, "userId", "keys": [ { "publicKey", "issuedAt", "authorizedBy"? } ],
 *     "anchors": [ <url> … ], "updatedAt" }
 *
 * `keys` lists the active keys only, oldest first. A Peers registry wraps the document in a signed
 * envelope `{ contents, signature, publicKey }` whose signed bytes are not public; an https anchor
 * may serve the document with or without it. So a reader takes `contents` out of an envelope and
 * trusts the https origin it fetched from, exactly as for a bare document: the envelope's
 * signature is not (cannot be) checked, and a reader that has an envelope gains nothing over one
 * that has none.
 *
 * Reading is deliberately tolerant where Peers leaves things open and strict where a mistake could
 * confirm a key: unknown fields are ignored; the five fields must be there with their types; a key
 * matches by its 32 decoded bytes (base64url, with or without padding, since Peers never says).
 * Pure and browser-safe.
 */
import { bytesEqual, fromBase64Url } from './encoding.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';

/** Over this many bytes a body is not a document (Peers: "over 64 KiB" vetoes). */
export const ANCHOR_DOCUMENT_MAX_BYTES = 64 * 1024;
/** How long a fetch of an anchor may take, headers and body together (Peers: 8 seconds). */
export const ANCHOR_FETCH_TIMEOUT_MS = 8_000;
/** `Cache-Control: public, max-age=60` on anchor documents (Peers). */
export const ANCHOR_MAX_AGE_SECONDS = 60;

export interface AnchorKey {
  /** An Ed25519 signing key, base64url (this registry writes it unpadded). */
  publicKey: string;
  /** When the key was registered (this registry: RFC 3339 UTC with milliseconds). */
  issuedAt: string;
  /** The previous key's co-signature of the Peers succession statement (never written by peerkeys). */
  authorizedBy?: { publicKey: string; signature: string };
}

export interface AnchorDocument {
  version: 1;
  userId: string;
  keys: AnchorKey[];
  anchors: string[];
  updatedAt: string;
}

/** Where a peerkeys registry serves the anchor document of `userId`, relative to its base URL. */
export function anchorDocumentPath(userId: string): string {
  return `/peers/v1/${userId}.json`;
}

/** The absolute anchor URL of `userId` at the registry whose public base URL is `baseUrl`. */
export function anchorDocumentUrl(baseUrl: string, userId: string): string {
  return baseUrl.replace(/\/+$/, '') + anchorDocumentPath(userId);
}

function isString(value: JsonValue | undefined): value is string {
  return typeof value === 'string';
}

/**
 * The anchor document in `value` (a bare document, or the `contents` of a Peers envelope), or
 * null when it is not one: `version` not 1, or a missing or mistyped field.
 */
export function readAnchorDocument(value: unknown): AnchorDocument | null {
  if (!isJsonObject(value)) return null;
  let document: JsonObject = value;
  if (!('version' in value) && isJsonObject(value['contents'] ?? null) && 'signature' in value && 'publicKey' in value) {
    document = value['contents'] as JsonObject;
  }
  const { version, userId, keys, anchors, updatedAt } = document;
  if (version !== 1 || !isString(userId) || !Array.isArray(keys) || !Array.isArray(anchors) || !isString(updatedAt)) return null;
  if (!anchors.every(isString)) return null;
  const read: AnchorKey[] = [];
  for (const key of keys) {
    if (!isJsonObject(key) || !isString(key['publicKey']) || !isString(key['issuedAt'])) return null;
    const entry: AnchorKey = { publicKey: key['publicKey'], issuedAt: key['issuedAt'] };
    const by = key['authorizedBy'];
    if (by !== undefined) {
      if (!isJsonObject(by) || !isString(by['publicKey']) || !isString(by['signature'])) return null;
      entry.authorizedBy = { publicKey: by['publicKey'], signature: by['signature'] };
    }
    read.push(entry);
  }
  return { version: 1, userId, keys: read, anchors: anchors as string[], updatedAt };
}

/** A 32-byte key in base64url, padded or not; null otherwise. */
export function decodeAnchorKey(text: string): Uint8Array | null {
  const unpadded = text.length === 44 && text.endsWith('=') ? text.slice(0, 43) : text;
  return fromBase64Url(unpadded, 32);
}

/** Whether the document lists `publicKey` (compared as 32 decoded bytes). */
export function listsKey(document: AnchorDocument, publicKey: string): boolean {
  const wanted = decodeAnchorKey(publicKey);
  if (wanted === null) return false;
  return document.keys.some((key) => {
    const listed = decodeAnchorKey(key.publicKey);
    return listed !== null && bytesEqual(listed, wanted);
  });
}
