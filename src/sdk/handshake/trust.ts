/**
 * Trust sources: who vouches that a userId's keys are the ones a peer presents. The caller plugs
 * in the ones it has — a verified registry lookup, a group, keys pinned by meeting in person — and
 * may explicitly choose blind trust, which is reported as such. Every source that knows the user
 * must agree with the peer's keys; a difference is reported, never silently resolved.
 */
import type { RegistryClient } from '../client.js';
import { RegistryError } from '../errors.js';
import { HandshakeError } from './errors.js';

/** The Peers trust levels. */
export const TRUST_LEVELS = { Untrusted: -10, Unknown: 0, NewUser: 10, NewDevice: 20, Known: 30, Trusted: 50, Self: 100 } as const;
export type TrustLevelName = keyof typeof TRUST_LEVELS;

export type TrustSourceName = 'self' | 'pinned' | 'group' | 'registry' | 'blind';

/** Keys a source vouches for. */
export interface VouchedKeys {
  publicKey: string;
  publicBoxKey: string;
}

export interface TrustSource {
  readonly name: TrustSourceName;
  /** The level a match with this source earns. */
  readonly level: TrustLevelName;
  /** The keys this source vouches for `userId`, or null when it knows nothing of the user. */
  keysFor(userId: string): Promise<VouchedKeys | null>;
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
}

/** Keys from a verified registry lookup: an active identity's current keys. */
export function registryTrust(client: RegistryClient): TrustSource {
  return {
    name: 'registry',
    level: 'Known',
    async keysFor(userId) {
      try {
        const identity = await client.lookup(userId);
        if (identity.status !== 'active') throw new HandshakeError('KEY_MISMATCH', `${userId} is revoked in the registry`);
        return { publicKey: identity.publicKey, publicBoxKey: identity.publicBoxKey };
      } catch (error) {
        if (error instanceof RegistryError && error.code === 'NOT_FOUND') return null;
        throw error; // a registry that fails verification vouches for nothing: refuse
      }
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
  presented: VouchedKeys,
  options: { sources: readonly TrustSource[]; blindTrust?: boolean; self?: { userId: string } & VouchedKeys },
): Promise<TrustVerdict> {
  const agreeing: TrustSource[] = [];
  if (options.self !== undefined && options.self.userId === userId) {
    if (options.self.publicKey !== presented.publicKey || options.self.publicBoxKey !== presented.publicBoxKey) {
      throw new HandshakeError('KEY_MISMATCH', 'the peer claims to be this same user with other keys');
    }
    agreeing.push({ name: 'self', level: 'Self', keysFor: async () => null });
  }
  for (const source of options.sources) {
    const vouched = await source.keysFor(userId);
    if (vouched === null) continue;
    if (vouched.publicKey !== presented.publicKey || vouched.publicBoxKey !== presented.publicBoxKey) {
      throw new HandshakeError('KEY_MISMATCH', `the peer's keys for ${userId} differ from what the ${source.name} source vouches for`);
    }
    agreeing.push(source);
  }
  if (agreeing.length === 0) {
    if (options.blindTrust !== true) throw new HandshakeError('UNTRUSTED_PEER', `no trust source knows ${userId}`);
    return { source: 'blind', agreeing: [], level: TRUST_LEVELS.Unknown, levelName: 'Unknown', blind: true };
  }
  const best = agreeing.reduce((a, b) => (TRUST_LEVELS[b.level] > TRUST_LEVELS[a.level] ? b : a));
  return { source: best.name, agreeing: agreeing.map((s) => s.name), level: TRUST_LEVELS[best.level], levelName: best.level, blind: false };
}
