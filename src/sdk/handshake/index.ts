/** The Peers connection handshake, secure channel, trust sources and WebRTC signaling. */
export {
  clientHandshake,
  serverHandshake,
  type ClientHandshakeOptions,
  type ClientHandshakeResult,
  type ServerHandshakeOptions,
  type HandshakeIdentity,
  type HandshakeResult,
} from './handshake.js';
export { SecureChannel, CHANNEL_PENDING_LIMITS } from './channel.js';
export { HandshakeError, type HandshakeCode } from './errors.js';
export { TRUST_LEVELS, evaluateTrust, groupTrust, pinnedTrust, registryTrust, type TrustLevelName, type TrustSource, type TrustSourceName, type TrustVerdict, type VouchedKeys, type RegistryTrustOptions } from './trust.js';
export { anchorTrust, type AnchorTrustOptions } from './anchor-trust.js';
export { socketTransport, INBOX_LIMITS, type HandshakeTransport, type SocketLike } from './transport.js';
export type { QueueLimits } from './bounded-queue.js';
export { acceptPeer, connectPeer, type IncomingSocketLike } from './socket-io.js';
export { sealSignal, openSignal, type Signal, type SignalKind } from './signaling.js';
export { normalizeAddress } from './addresses.js';
export type { DeviceInfo } from './messages.js';
