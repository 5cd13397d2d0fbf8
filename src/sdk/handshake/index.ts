/** The Peers connection handshake, secure channel, trust sources and WebRTC signaling. */
export { clientHandshake, serverHandshake, type ClientHandshakeOptions, type ServerHandshakeOptions, type HandshakeIdentity, type HandshakeResult } from './handshake.js';
export { SecureChannel } from './channel.js';
export { HandshakeError, type HandshakeCode } from './errors.js';
export { TRUST_LEVELS, evaluateTrust, groupTrust, pinnedTrust, registryTrust, type TrustLevelName, type TrustSource, type TrustSourceName, type TrustVerdict, type VouchedKeys, type RegistryTrustOptions } from './trust.js';
export { socketTransport, type HandshakeTransport, type SocketLike } from './transport.js';
export { acceptPeer, connectPeer, type IncomingSocketLike } from './socket-io.js';
export { sealSignal, openSignal, type Signal, type SignalKind } from './signaling.js';
export { normalizeAddress } from './addresses.js';
export type { DeviceInfo } from './messages.js';
