/**
 * The Peers anchors as a trust source for the handshake (DESIGN.md §10.2): the peer's presented
 * keys are asked of the user's anchors on record. Accepted (a confirm, no veto): the source
 * vouches for the presented keys. Refused (a veto): the handshake is refused (`ANCHOR_VETO`), as
 * a Peers host makes it Untrusted. Pending (no anchors, or all abstain): the source knows nothing,
 * and the other sources decide.
 */
import { resolveAnchors, type Anchor, type AnchorResolution, type ResolveAnchorsOptions } from '../anchors.js';
import { HandshakeError } from './errors.js';
import type { TrustSource } from './trust.js';

export interface AnchorTrustOptions extends ResolveAnchorsOptions {
  /** Told of every resolution, e.g. to show the user which anchor vetoed. */
  onResolution?: (resolution: AnchorResolution) => void;
}

/**
 * A trust source that asks `anchorsFor(userId)` — the anchors on record for that user (Peers keeps
 * them on the contact's row; never take them from the peer that presents the key) — or the same
 * fixed list for every user.
 */
export function anchorTrust(anchorsFor: readonly Anchor[] | ((userId: string) => readonly Anchor[] | Promise<readonly Anchor[]>), options: AnchorTrustOptions = {}): TrustSource {
  const { onResolution, ...resolveOptions } = options;
  return {
    name: 'anchors',
    level: 'Known',
    async keysFor(userId, presented) {
      if (presented === undefined) return null; // anchors judge a presented key; they list none
      const anchors = typeof anchorsFor === 'function' ? await anchorsFor(userId) : anchorsFor;
      const resolution = await resolveAnchors(userId, { publicKey: presented.publicKey, publicBoxKey: presented.publicBoxKey }, anchors, resolveOptions);
      onResolution?.(resolution);
      if (resolution.decision === 'refused') {
        const vetoes = resolution.answers.filter((a) => a.answer === 'veto').map((a) => `${a.anchor}: ${a.reason}`);
        throw new HandshakeError('ANCHOR_VETO', `an anchor on record for ${userId} vetoes the presented key (${vetoes.join('; ')})`);
      }
      if (resolution.decision === 'pending') return null;
      const registry = resolution.answers.find((a) => a.answer === 'confirm' && a.identity !== undefined)?.identity;
      return { publicKey: presented.publicKey, publicBoxKey: presented.publicBoxKey, ...(registry !== undefined ? { idBinding: registry.idBinding } : {}) };
    },
  };
}
