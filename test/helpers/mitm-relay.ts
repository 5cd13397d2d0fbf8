/**
 * A man in the middle for the handshake tests, run as its own process:
 *   tsx test/helpers/mitm-relay.ts <target url>
 * It accepts socket.io connections on a port of its own and relays every message, unchanged, to
 * and from the target. It prints "relay <port>" once listening.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';

const target = process.argv[2]!;
const server = http.createServer();
const io = new Server(server);
// PEERKEYS_RELAY_DEBUG=1 logs every relayed message to stderr.
const debug = process.env['PEERKEYS_RELAY_DEBUG'] ? (...args: unknown[]) => process.stderr.write(`[relay ${Date.now() % 100000}] ${args.join(' ')}\n`) : () => {};
io.on('connection', (incoming) => {
  debug('incoming connection');
  const outgoing = connect(target, { transports: ['websocket'], forceNew: true });
  outgoing.on('connect', () => debug('outgoing connected'));
  outgoing.on('disconnect', (reason) => debug('outgoing disconnected', reason));
  incoming.on('disconnect', (reason) => debug('incoming disconnected', reason));
  incoming.on('peerkeys', (message) => {
    debug('to server', message?.type);
    outgoing.emit('peerkeys', message);
  });
  outgoing.on('peerkeys', (message) => {
    debug('to client', message?.type);
    incoming.emit('peerkeys', message);
  });
  // A faithful relay lets what it already forwarded arrive before it hangs up the other side:
  // disconnecting at once can drop the last messages still in the socket's send buffer.
  incoming.on('disconnect', () => setTimeout(() => outgoing.disconnect(), 1000));
  outgoing.on('disconnect', () => setTimeout(() => incoming.disconnect(), 1000));
});
server.listen(0, '127.0.0.1', () => console.log(`relay ${(server.address() as AddressInfo).port}`));
