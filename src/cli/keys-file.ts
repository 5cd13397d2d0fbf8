/**
 * An identity's keys file: its userId and every key pair it ever had, secret keys as unpadded
 * base64url (Ed25519 seeds, X25519 secret keys). Created with mode 0600, replaced atomically
 * (write a temporary file, then rename), and never overwritten without --force.
 *
 * The file is a keyring: keys are added, never removed. Which of them are current is what the
 * registry's verified head says (its publicKey, publicBoxKey and rotationKeys), so a command
 * that makes new keys saves them here BEFORE it submits the record naming them: whatever happens
 * to the request, no key the registry may have accepted is ever lost.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { fromBase64Url, toBase64Url } from '../protocol/encoding.js';
import { boundPeersId, isPeersId } from '../protocol/ids.js';
import { formatTimestamp } from '../protocol/time.js';
import { generateIdentityKeys } from '../sdk/identity-keys.js';
import { boxKeyPairFromSecretKey, signingKeyPairFromSeed, type BoxKeyPair, type SigningKeyPair } from '../sdk/keys.js';
import { UsageError } from './command.js';
import { ensurePrivateDir, writePrivateFile } from './private-file.js';

export const KEYS_FILE_FORMAT = 'peerkeys-identity-keys/1';

export type KeyRole = 'signing' | 'box' | 'rotation' | 'recovery';

const keySchema = z.strictObject({
  role: z.enum(['signing', 'box', 'rotation', 'recovery']),
  publicKey: z.string(),
  secretKey: z.string(),
  createdAt: z.string(),
});

const fileSchema = z.strictObject({
  format: z.literal(KEYS_FILE_FORMAT),
  userId: z.string().refine(isPeersId, 'not a Peers id'),
  keys: z.array(keySchema),
});

type StoredKey = z.output<typeof keySchema>;

export class Keyring {
  private constructor(
    readonly path: string,
    readonly userId: string,
    private readonly keys: StoredKey[],
  ) {}

  /**
   * A new keys file with one key pair of each role and a self-certifying userId, derived from the
   * rotation key that will sign the genesis (`peerkeys register`); refuses to replace a file
   * unless `force`.
   */
  static create(path: string, options: { force: boolean }): Keyring {
    const fresh = generateIdentityKeys();
    const keyring = new Keyring(path, boundPeersId('user', fresh.rotation.publicKey), []);
    keyring.add('signing', fresh.signing);
    keyring.add('box', fresh.box);
    keyring.add('rotation', fresh.rotation);
    keyring.add('recovery', fresh.recovery);
    if (options.force) {
      keyring.save();
    } else {
      ensurePrivateDir(dirname(path));
      try {
        // 'wx': fails if the file exists, so a second keygen never destroys the first one's keys.
        writeFileSync(path, keyring.serialise(), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new UsageError(`${path} already exists; the keys in it would be lost. Choose another --keys file, or add --force to replace it`);
        }
        throw error;
      }
    }
    return keyring;
  }

  static load(path: string): Keyring {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no keys file at ${path}: make one with \`peerkeys keygen --keys ${path}\`, or pass --keys`);
      throw error;
    }
    let parsed: z.output<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new UsageError(`${path} is not a peerkeys keys file (${(error as Error).message.split('\n')[0]})`);
    }
    const keyring = new Keyring(path, parsed.userId, parsed.keys);
    for (const key of parsed.keys) keyring.pair(key); // every secret must match its public key
    return keyring;
  }

  /** Adds a key pair (not saved until save()). */
  add(role: KeyRole, pair: SigningKeyPair | BoxKeyPair): void {
    const secret = role === 'box' ? pair.secretKey : pair.secretKey.slice(0, 32); // tweetnacl's Ed25519 secret key is seed || public key
    this.keys.push({ role, publicKey: pair.publicKey, secretKey: toBase64Url(secret), createdAt: formatTimestamp(Date.now()) });
  }

  /** The newest key pair of a role (what keygen made, for the genesis). */
  newest(role: 'box'): BoxKeyPair;
  newest(role: Exclude<KeyRole, 'box'>): SigningKeyPair;
  newest(role: KeyRole): SigningKeyPair | BoxKeyPair {
    const key = this.keys.filter((k) => k.role === role).at(-1);
    if (key === undefined) throw new UsageError(`${this.path} holds no ${role} key`);
    return this.pair(key);
  }

  /** The signing (Ed25519) key pair with this public key, if the file holds it. */
  signingKey(publicKey: string): SigningKeyPair | null {
    const key = this.keys.find((k) => k.role !== 'box' && k.publicKey === publicKey);
    return key === undefined ? null : (this.pair(key) as SigningKeyPair);
  }

  /**
   * A held key among `rotationKeys` (strongest first, as records list them): the weakest held by
   * default, as routine updates use; the strongest with `strongest`, as a recovery needs.
   */
  rotationKey(rotationKeys: readonly string[], options: { strongest?: boolean } = {}): SigningKeyPair | null {
    const order = options.strongest === true ? rotationKeys : [...rotationKeys].reverse();
    for (const publicKey of order) {
      const pair = this.signingKey(publicKey);
      if (pair !== null) return pair;
    }
    return null;
  }

  /** Writes the file: a temporary file with mode 0600, renamed over the old one. */
  save(): void {
    writePrivateFile(this.path, this.serialise());
  }

  private serialise(): string {
    return `${JSON.stringify({ format: KEYS_FILE_FORMAT, userId: this.userId, keys: this.keys }, null, 2)}\n`;
  }

  private pair(key: StoredKey): SigningKeyPair | BoxKeyPair {
    const secret = fromBase64Url(key.secretKey, 32);
    const pair = secret === null ? null : key.role === 'box' ? boxKeyPairFromSecretKey(secret) : signingKeyPairFromSeed(secret);
    if (pair === null || pair.publicKey !== key.publicKey) throw new UsageError(`${this.path}: the ${key.role} key ${key.publicKey} does not match its secret key; the file is damaged`);
    return pair;
  }
}
