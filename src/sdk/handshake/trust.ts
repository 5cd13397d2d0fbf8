/**
 * Trust sources: who vouches that a userId's keys are the ones a peer presents. The caller plugs
 * in the ones it has — a verified registry lookup, a group, keys pinned by meeting in person — and
 * may explicitly choose blind trust, which is reported as such. Every source that knows the user
 * must agree with the peer's keys; a difference is reported, never silently resolved.
 */
import type { IdBinding } from '../../protocol/ids.js';
import { lookupOutcome } from '../anchors.js';
import type { RegistryClient } from '../client.js';
import type { PeerAssessment, TrustBook } from '../trust-book.js';
import { HandshakeError } from './errors.js';

/**
 * The Peers trust levels (DESIGN.md §10.5). `Malicious` is the mark a user sets on a peer it
 * refuses for good; a connection goes through only at `Unknown` or above.
 */
export const TRUST_LEVELS = { Malicious: -20, Untrusted: -10, Unknown: 0, NewUser: 10, NewDevice: 20, Known: 30, Trusted: 50, Self: 100 } as const;
export type TrustLevelName = keyof typeof TRUST_LEVELS;

export type TrustSourceName = 'self' | 'pinned' | 'group' | 'registry' | 'anchors' | 'blind';

/** Keys a source vouches for. */
export interface VouchedKeys {
  publicKey: string;
  publicBoxKey: string;
  /** Set by sources that know how the userId is bound to its genesis (a registry lookup). */
  idBinding?: IdBinding;
}

export interface TrustSource {
  readonly name: TrustSourceName;
  /** The level a match with this source earns. */
  readonly level: TrustLevelName;
  /**
   * The keys this source vouches for `userId`, or null when it knows nothing of the user.
   * `presented` is what the peer presented: sources that judge a key rather than list one (the
   * Peers anchors) need it; the others ignore it.
   */
  keysFor(userId: string, presented?: VouchedKeys): Promise<VouchedKeys | null>;
}

/** What the handshake concluded about the other side. */
export interface TrustVerdict {
  /** The source that vouched (the strongest, when several agreed). */
  source: TrustSourceName;
  /** Every source that knew the user and agreed. */
  agreeing: TrustSourceName[];
  level: number;
  levelName: TrustLevelName;
  /** True when nothing vouched and the caller chose to trust blindly. */
  blind: boolean;
  /**
   * How the peer's userId is bound to its genesis, as the agreeing registry sources verified it
   * (DESIGN.md §1; `unbound` if any says so): `unbound` only when the caller let `registryTrust`
   * vouch for unbound ids.
   * Null when no agreeing source knows (pinned keys, a group, blind trust).
   */
  idBinding: IdBinding | null;
  /**
   * The peer's Peers trust level from the caller's TrustBook (DESIGN.md §10.5): how well this side
   * knows the user and the device (new user, new device, known device, marked, self). Present only
   * when the handshake was given a trust book.
   */
  assessment?: PeerAssessment;
}

export interface RegistryTrustOptions {
  /**
   * Vouch for a userId that is not bound to its genesis (a registry that admits any Peers id, for
   * existing Peers accounts). Off by default: an unbound id belongs to whoever registered it
   * first, which may be a squatter who learnt the id before its owner registered, so the lookup
   * alone does not show that the keys are the ones the caller means. When on, the verdict says
   * `idBinding: 'unbound'`.
   */
  allowUnboundIds?: boolean;
}

/**
 * Keys from a verified registry lookup: an active identity's current keys, for a userId bound to
 * its genesis (an unbound one is refused with UNBOUND_ID unless `allowUnboundIds`). The source
 * knows nothing of the user (and so leaves the decision to the others, or to blind trust) only
 * when the registry proved the id absent with its key map; a 404 without that proof is refused
 * (VerificationError UNVERIFIED_ABSENCE), as is any answer that fails verification — a relay
 * cannot push a handshake into blind trust by hiding an identity.
 */
export function registryTrust(client: RegistryClient, options: RegistryTrustOptions = {}): TrustSource {
  return {
    name: 'registry',
    level: 'Known',
    async keysFor(userId) {
      // The verified lookup an anchor makes (anchors.ts), read as a trust source.
      const outcome = await lookupOutcome(client, userId);
      if (outcome.identity === undefined) {
        if (outcome.reason === 'NOT_FOUND') return null; // proven absent (a NotFoundError)
        throw outcome.error; // a registry that fails verification vouches for nothing: refuse
      }
      const identity = outcome.identity;
      if (identity.status !== 'active') throw new HandshakeError('KEY_MISMATCH', `${userId} is revoked in the registry`);
      if (identity.idBinding !== 'self-certifying' && options.allowUnboundIds !== true) {
        throw new HandshakeError('UNBOUND_ID', `${userId} is not bound to its genesis in the registry: whoever registered it first holds it (pass allowUnboundIds to accept that)`);
      }
      return { publicKey: identity.publicKey, publicBoxKey: identity.publicBoxKey, idBinding: identity.idBinding };
    },
  };
}

/** Keys exchanged in person (or otherwise out of band): the strongest source. */
export function pinnedTrust(pinned: Record<string, VouchedKeys> | Map<string, VouchedKeys>): TrustSource {
  const map = pinned instanceof Map ? pinned : new Map(Object.entries(pinned));
  return { name: 'pinned', level: 'Trusted', keysFor: async (userId) => map.get(userId) ?? null };
}

/** Keys a group pins for its members (see RegistryClient group lookups). */
export function groupTrust(keysFor: (userId: string) => Promise<VouchedKeys | null>): TrustSource {
  return { name: 'group', level: 'Known', keysFor };
}

/**
 * Decides whether `presented` keys for `userId` are trusted. `self` is the caller's own identity
 * (another of its own devices earns Self).
 */
export async function evaluateTrust(
  userId: string,
  presented: VouchedKeys & { deviceId?: string },
  options: { sources: readonly TrustSource[]; blindTrust?: boolean; self?: { userId: string } & VouchedKeys; book?: TrustBook },
): Promise<TrustVerdict> {
  // A user's mark is final: a peer marked Malicious or Untrusted is refused before anyone is asked.
  const mark = options.self?.userId === userId ? null : await options.book?.markOf(userId);
  if (mark === 'Malicious' || mark === 'Untrusted') throw new HandshakeError('BLOCKED_PEER', `${userId} is marked ${mark}`);
  const verdict = await sourceVerdict(userId, presented, options);
  if (options.book === undefined) return verdict;
  // The sources settled whose keys these are; the book says how well this side knows the peer.
  if (presented.deviceId === undefined) throw new TypeError('a trust book needs the peer’s deviceId');
  const assessment = await options.book.assess(
    { userId, deviceId: presented.deviceId, publicKey: presented.publicKey, publicBoxKey: presented.publicBoxKey },
    {
      ...(options.self !== undefined ? { self: options.self } : {}),
      // Keys that differ from the ones on record replace them only when a source able to establish
      // a key change vouched for them; blind trust, or a group alone, cannot.
      acceptKeyChange: verdict.agreeing.some((name) => name === 'registry' || name === 'anchors' || name === 'pinned'),
    },
  );
  if (assessment.level < TRUST_LEVELS.Unknown) {
    if (assessment.reason === 'MARKED') throw new HandshakeError('BLOCKED_PEER', `${userId} is marked ${assessment.levelName}`);
    throw new HandshakeError('KEY_MISMATCH', `the peer's keys for ${userId} differ from the ones on record, and no source that can establish a key change vouched for them`);
  }
  return { ...verdict, assessment };
}

async function sourceVerdict(
  userId: string,
  presented: VouchedKeys,
  options: { sources: readonly TrustSource[]; blindTrust?: boolean; self?: { userId: string } & VouchedKeys },
): Promise<TrustVerdict> {
  const agreeing: TrustSource[] = [];
  const bindings: IdBinding[] = [];
  if (options.self !== undefined && options.self.userId === userId) {
    if (options.self.publicKey !== presented.publicKey || options.self.publicBoxKey !== presented.publicBoxKey) {
      throw new HandshakeError('KEY_MISMATCH', 'the peer claims to be this same user with other keys');
    }
    agreeing.push({ name: 'self', level: 'Self', keysFor: async () => null });
  }
  for (const source of options.sources) {
    const vouched = await source.keysFor(userId, presented);
    if (vouched === null) continue;
    if (vouched.publicKey !== presented.publicKey || vouched.publicBoxKey !== presented.publicBoxKey) {
      throw new HandshakeError('KEY_MISMATCH', `the peer's keys for ${userId} differ from what the ${source.name} source vouches for`);
    }
    agreeing.push(source);
    if (vouched.idBinding !== undefined) bindings.push(vouched.idBinding);
  }
  if (agreeing.length === 0) {
    if (options.blindTrust !== true) throw new HandshakeError('UNTRUSTED_PEER', `no trust source knows ${userId}`);
    return { source: 'blind', agreeing: [], level: TRUST_LEVELS.Unknown, levelName: 'Unknown', blind: true, idBinding: null };
  }
  const best = agreeing.reduce((a, b) => (TRUST_LEVELS[b.level] > TRUST_LEVELS[a.level] ? b : a));
  return { source: best.name, agreeing: agreeing.map((s) => s.name), level: TRUST_LEVELS[best.level], levelName: best.level, blind: false, idBinding: bindings.length === 0 ? null : bindings.includes('unbound') ? 'unbound' : 'self-certifying' };
}
