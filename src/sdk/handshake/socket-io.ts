/**
 * socket.io adapters (socket.io 4). They take the sockets the caller made, so the SDK itself does
 * not depend on socket.io: the server side wraps an incoming `Socket` from a socket.io `Server`,
 * the client side a socket from socket.io-client's `io(url)`.
 */
import { clientHandshake, serverHandshake, type ClientHandshakeOptions, type ClientHandshakeResult, type HandshakeResult, type ServerHandshakeOptions } from './handshake.js';
import { socketTransport, type SocketLike } from './transport.js';

/** What the server side needs of an incoming socket.io socket. */
export interface IncomingSocketLike extends SocketLike {
  handshake: { address: string };
  request?: { socket?: { remotePort?: number | undefined } };
}

/** Runs the server side of the handshake on a new socket.io connection. */
export function acceptPeer(socket: IncomingSocketLike, options: Omit<ServerHandshakeOptions, 'observedAddress'>): Promise<HandshakeResult> {
  const host = socket.handshake.address.replace(/^::ffff:/, '');
  const port = socket.request?.socket?.remotePort;
  const observedAddress = `${host.includes(':') ? `[${host}]` : host}${port === undefined ? '' : `:${port}`}`;
  return serverHandshake(socketTransport(socket), { ...options, observedAddress });
}

/**
 * Runs the client side of the handshake on a socket.io-client socket connected to `dialledAddress`.
 * Name the peer you mean to reach (`expectedUserId`) or say that whoever answers will do
 * (`anyPeer: true`, reported in the result); one of the two is required.
 */
export function connectPeer(socket: SocketLike, options: ClientHandshakeOptions): Promise<ClientHandshakeResult> {
  return clientHandshake(socketTransport(socket), options);
}
