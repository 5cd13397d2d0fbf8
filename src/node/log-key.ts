/**
 * The registry's log signing key (DESIGN.md §5): from configuration in production (every process
 * must share it), generated once and kept in the data folder in embedded mode.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config.js';
import { formatVerifierKey, noteKey, parseVerifierKey, type NoteKey } from '../protocol/checkpoint.js';
import { fromBase64Url, toBase64Url } from '../protocol/encoding.js';
import type { SignMessage } from '../protocol/signing.js';
import { nodeSigner } from './node-ed25519.js';

export interface LogKey {
  origin: string;
  noteKey: NoteKey;
  /** The C2SP verifier key string clients pin. */
  vkey: string;
  sign: SignMessage;
}

function readSeedFile(path: string): Uint8Array {
  const seed = fromBase64Url(readFileSync(path, 'utf8').trim(), 32);
  if (seed === null) throw new Error(`${path} does not hold a 32-byte Ed25519 seed in unpadded base64url`);
  return seed;
}

function generatedSeed(path: string): Uint8Array {
  try {
    return readSeedFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  // 'wx': if two processes race to create the key, one fails and re-reads the other's.
  try {
    writeFileSync(path, `${toBase64Url(randomBytes(32))}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readSeedFile(path);
}

export function loadLogKey(config: Config['log']): LogKey {
  return logKeyFromSeed(config.origin, loadSigningSeed(config.signingKey));
}

/** An Ed25519 seed from configuration, a key file, or generated once in the data folder (a witness's key too). */
export function loadSigningSeed(source: Config['log']['signingKey']): Uint8Array {
  if (source.kind === 'none') throw new Error('this process was configured without a log signing key (a mirror signs no checkpoint)');
  return source.kind === 'seed' ? source.seed : source.kind === 'file' ? readSeedFile(source.path) : generatedSeed(source.path);
}

/**
 * Another registry's log key as a mirror holds it, from the vkey it pinned: it names the origin and
 * verifies checkpoints, and it cannot sign — a mirror serves the checkpoints that registry signed
 * and never makes one. Null when `vkey` is not a valid C2SP Ed25519 verifier key.
 */
export function verifierLogKey(vkey: string): LogKey | null {
  const key = parseVerifierKey(vkey);
  if (key === null) return null;
  return {
    origin: key.name,
    noteKey: key,
    vkey: formatVerifierKey(key),
    sign: () => {
      throw new Error('a mirror holds no log signing key and never signs a checkpoint');
    },
  };
}

export function logKeyFromSeed(origin: string, seed: Uint8Array): LogKey {
  const signer = nodeSigner(seed);
  const key = noteKey(origin, signer.publicKey);
  return { origin, noteKey: key, vkey: formatVerifierKey(key), sign: signer.sign };
}
