/**
 * The key rule of DESIGN.md §1 for a record's Ed25519 keys, applied against its chain's stored
 * keys: a key byte-equal to a key of a record already in the ledger state passed the rule when that
 * record was admitted (or decided, earlier in the same batch), so only the keys new to the chain are
 * checked. The stored keys are the state's, loaded by the log writer under its lock or replayed from
 * the log — never anything the request names. This is what makes deferEd25519KeyChecks safe: every
 * key a parse put off is checked here, or is a stored key.
 */
import { isAcceptableEd25519Key } from '../../protocol/ed25519.js';
import { fromBase64Url } from '../../protocol/encoding.js';
import { ProtocolError } from '../../protocol/errors.js';

/** Throws INVALID_RECORD for the first key of `keys` that is not in `stored` and breaks the key rule. */
export function checkNewKeys(keys: Iterable<string>, stored: ReadonlySet<string>): void {
  for (const key of keys) {
    if (stored.has(key)) continue; // unpadded base64url of 32 bytes has one spelling: equal text is equal bytes
    const bytes = fromBase64Url(key, 32);
    if (bytes === null || !isAcceptableEd25519Key(bytes)) throw new ProtocolError('INVALID_RECORD', `not a valid Ed25519 public key: ${key}`);
  }
}

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * Runs a successor's signature checks (with a verifier that leaves the keys of `deferred` to
 * checkNewKeys) and answers as if the keys had been checked first, at parse: a deferred key that
 * breaks the rule is INVALID_RECORD even when a signature under it fails too. Only a failed
 * verification pays for those checks, no more than a parse checking every key did.
 */
export async function verifyDeferringKeys(deferred: ReadonlySet<string>, verifySignatures: () => Promise<void>): Promise<void> {
  try {
    await verifySignatures();
  } catch (error) {
    if (error instanceof ProtocolError && error.code === 'BAD_SIGNATURE') checkNewKeys(deferred, NO_KEYS);
    throw error;
  }
}

/** The strings among `values`: the keys a body names where a record has keys, before it is parsed. */
export function keyStrings(values: readonly unknown[]): Set<string> {
  return new Set(values.filter((value): value is string => typeof value === 'string'));
}
