/**
 * Asking several registries at once — the design's "ask many of its already-trusted peers": keys
 * are returned only when every registry that answers verifiably says the same thing.
 */
import { lookupOutcome } from './anchors.js';
import type { RegistryClient } from './client.js';
import { VerificationError } from './errors.js';
import type { VerifiedIdentity } from './verify.js';

/** What one registry said: its verified view of the identity, or why it gave none. */
export interface QuorumAnswer {
  registry: string;
  identity?: { headHash: string; publicKey: string; publicBoxKey: string; status: string };
  error?: { code: string; message: string };
}

export class QuorumError extends VerificationError {
  constructor(
    message: string,
    /** Who said what. */
    readonly answers: QuorumAnswer[],
  ) {
    super('QUORUM_DISAGREEMENT', message);
    this.name = 'QuorumError';
  }
}

export interface QuorumOptions {
  /** How many registries must answer and agree (default: all of them). */
  minAgreeing?: number;
  /** Bounds each registry's lookup, in ms (default: none); one that takes longer answers `TIMEOUT`. */
  timeoutMs?: number;
}

/**
 * Looks `userId` up in every registry and returns the identity only if at least `minAgreeing`
 * verified answers agree and no verified answer disagrees with them.
 * @throws QuorumError naming each registry's answer.
 */
export async function lookupQuorum(clients: readonly RegistryClient[], userId: string, options: QuorumOptions = {}): Promise<VerifiedIdentity> {
  if (clients.length === 0) throw new TypeError('lookupQuorum needs at least one registry');
  const needed = options.minAgreeing ?? clients.length;
  // The same verified lookup, classified the same way, as an anchor's (anchors.ts).
  const outcomes = await Promise.all(clients.map((client) => lookupOutcome(client, userId, options.timeoutMs)));
  const answers: QuorumAnswer[] = outcomes.map((outcome, i) => {
    const registry = clients[i]!.url;
    if (outcome.identity !== undefined) {
      const { head, publicKey, publicBoxKey, status } = outcome.identity;
      return { registry, identity: { headHash: head.hash, publicKey, publicBoxKey, status } };
    }
    const error = outcome.error as { code?: unknown; message?: unknown };
    const code = outcome.reason === 'TIMEOUT' ? 'TIMEOUT' : typeof error.code === 'string' ? error.code : 'UNKNOWN';
    return { registry, error: { code, message: String(error.message) } };
  });
  const views = new Set(answers.filter((a) => a.identity !== undefined).map((a) => JSON.stringify(a.identity)));
  const agreeing = answers.filter((a) => a.identity !== undefined).length;
  const describe = () => answers.map((a) => `${a.registry}: ${a.identity ? `head ${a.identity.headHash}, key ${a.identity.publicKey}` : a.error!.code}`).join('; ');
  if (views.size > 1) throw new QuorumError(`registries disagree about ${userId}: ${describe()}`, answers);
  if (agreeing < needed) throw new QuorumError(`only ${agreeing} of ${clients.length} registries verifiably answered for ${userId} (${needed} needed): ${describe()}`, answers);
  return outcomes.find((o) => o.identity !== undefined)!.identity!;
}
