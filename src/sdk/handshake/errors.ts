/** Why a handshake or a secure channel was refused; `code` is stable. */
export type HandshakeCode =
  /** A message was malformed or came out of order. */
  | 'BAD_MESSAGE'
  /** A signature or box did not verify. */
  | 'BAD_SIGNATURE'
  /** The peer's keys differ from what a trust source says for that userId. */
  | 'KEY_MISMATCH'
  /** No trust source knows the peer (and blind trust was not chosen). */
  | 'UNTRUSTED_PEER'
  /**
   * The registry knows the peer's userId, but the id is not bound to its genesis (DESIGN.md §1):
   * whoever registered it first holds it. `registryTrust` vouches for such ids only when told to.
   */
  | 'UNBOUND_ID'
  /** An anchor on record for the peer's userId vetoes its key (the Peers rule, DESIGN.md §10.2). */
  | 'ANCHOR_VETO'
  /** The user marked the peer Malicious or Untrusted (DESIGN.md §10.5). */
  | 'BLOCKED_PEER'
  /** The peer is not the user the caller meant to reach. */
  | 'UNEXPECTED_PEER'
  /** Signed addresses do not match what this side sees: a relay (man in the middle) is between. */
  | 'ADDRESS_MISMATCH'
  /** A nonce did not come back as sent. */
  | 'NONCE_MISMATCH'
  /** A timestamp is more than 5 minutes off. */
  | 'STALE'
  /** The other side gave up (its code is in the message). */
  | 'PEER_ABORTED'
  | 'TIMEOUT'
  /** Channel frames: a frame seen before, a frame out of order, a frame that does not open. */
  | 'REPLAYED_FRAME'
  | 'REORDERED_FRAME'
  | 'BAD_FRAME'
  /**
   * The peer sent more than this side keeps unread (INBOX_LIMITS during the handshake,
   * CHANNEL_PENDING_LIMITS on a channel nobody listens to yet): it is dropped.
   */
  | 'FLOODED'
  | 'CLOSED';

export class HandshakeError extends Error {
  constructor(
    readonly code: HandshakeCode,
    message: string,
  ) {
    super(message);
    this.name = 'HandshakeError';
  }
}
