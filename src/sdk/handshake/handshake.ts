/**
 * The Peers connection handshake (DESIGN.md §8) as two small state machines over any transport.
 *
 * A relay between the two sides (a man in the middle) is caught because each side signs what it
 * sees: the server signs its own addresses and the address it sees the client come from, the
 * client signs the address it dialled. A relay makes the client dial the relay's address, which
 * is not among the server's signed addresses (the client refuses), and the client's signed
 * dialled address reaches the server, which finds it is not one of its own (the server refuses).
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import nacl from 'tweetnacl';
import { bytesEqual, concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../../protocol/encoding.js';
import { isJsonObject, parseJson } from '../../protocol/json.js';
import { SIGNING_PREFIX } from '../../protocol/signing.js';
import { MAX_CLOCK_SKEW_MS, formatTimestamp, parseTimestamp } from '../../protocol/time.js';
import { tweetnaclVerify } from '../tweetnacl-verify.js';
import type { BoxKeyPair, SigningKeyPair } from '../keys.js';
import { addressAmong, addressHost } from './addresses.js';
import { SecureChannel } from './channel.js';
import { HandshakeError } from './errors.js';
import {
  boxedSchema,
  clientAuthBodySchema,
  confirmBodySchema,
  handshakeSigningInput,
  helloSchema,
  serverHelloSchema,
  transcriptHash,
  type ClientAuthBody,
  type DeviceInfo,
  type Hello,
  type HandshakeStep,
} from './messages.js';
import { Inbox, type HandshakeTransport } from './transport.js';
import type { TrustBook } from '../trust-book.js';
import { evaluateTrust, type TrustSource, type TrustVerdict } from './trust.js';

/** This side: its device info (addresses included) and secret keys. */
export interface HandshakeIdentity {
  device: DeviceInfo;
  signingKey: SigningKeyPair;
  boxKey: BoxKeyPair;
}

interface CommonOptions {
  me: HandshakeIdentity;
  /** Who may vouch for the other side's keys; all that know the peer must agree. */
  trust: readonly TrustSource[];
  /** Accept a peer no source knows; the result then says `blind: true`. Off unless chosen. */
  blindTrust?: boolean;
  /**
   * The Peers trust levels of the peers this side meets (DESIGN.md §10.5): given, the verdict
   * carries the peer's `assessment`, and a peer marked Malicious or Untrusted, or presenting keys
   * other than the ones on record without a source that can establish the change, is refused.
   */
  trustBook?: TrustBook;
  now?: () => number;
  /** Per step (default 10 s). */
  timeoutMs?: number;
}

interface ClientCommonOptions extends CommonOptions {
  /** The address this side connected to, as written in device records (e.g. "192.168.1.2:5000"). */
  dialledAddress: string;
  /** This side's own addresses, if known: then the address the server saw must be one of them. */
  localAddresses?: readonly string[];
}

/**
 * The client names whom it means to reach — `expectedUserId`, and any other peer is refused with
 * UNEXPECTED_PEER — or says explicitly that whoever answers will do (`anyPeer: true`, e.g. a
 * device discovered on the LAN; the result then says `anyPeer: true`). One of the two is
 * required: forgetting the userId must not quietly accept anyone the trust sources know.
 */
export type ClientHandshakeOptions = ClientCommonOptions &
  (
    | {
        /** The userId this side means to reach. */
        expectedUserId: string;
        anyPeer?: false;
      }
    | {
        /** Accept whichever trusted peer answers, and report it in the result. */
        anyPeer: true;
        expectedUserId?: never;
      }
  );

export interface ServerHandshakeOptions extends CommonOptions {
  /** The address the client connects from, as this side sees it. */
  observedAddress: string;
}

export interface HandshakeResult {
  channel: SecureChannel;
  /** The other side's signed device info. */
  peer: DeviceInfo;
  trust: TrustVerdict;
}

/** The client side's result: also whether it accepted whoever answered. */
export interface ClientHandshakeResult extends HandshakeResult {
  /** True when the caller chose `anyPeer: true`; false when the peer is the `expectedUserId`. */
  anyPeer: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function fail(code: HandshakeError['code'], message: string): never {
  throw new HandshakeError(code, message);
}

function key(text: string): Uint8Array {
  return fromBase64Url(text, 32)!; // schema-checked
}

function randomNonce(): string {
  return toBase64Url(nacl.randomBytes(32));
}

function sign(step: HandshakeStep, body: object, signer: SigningKeyPair): Uint8Array {
  return nacl.sign.detached(handshakeSigningInput(step, body), signer.secretKey);
}

function verified(step: HandshakeStep, body: object, signature: Uint8Array, publicKey: string): boolean {
  return tweetnaclVerify(key(publicKey), handshakeSigningInput(step, body), signature);
}

function checkFresh(timestamp: string, now: number): void {
  const time = parseTimestamp(timestamp);
  if (time === null || Math.abs(time - now) > MAX_CLOCK_SKEW_MS) fail('STALE', 'the peer’s timestamp is more than 5 minutes off');
}

/** Signs `body` for `step` and boxes signature || signed bytes to the peer's box key. */
function sealStep(type: 'peerkeys/client-auth' | 'peerkeys/server-confirm', step: HandshakeStep, body: object, me: HandshakeIdentity, peerBoxKey: string) {
  const signed = handshakeSigningInput(step, body);
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const box = nacl.box(concatBytes(nacl.sign.detached(signed, me.signingKey.secretKey), signed), nonce, key(peerBoxKey), me.boxKey.secretKey);
  return { type, from: { userId: me.device.userId, publicBoxKey: me.device.publicBoxKey }, nonce: toBase64Url(nonce), box: toBase64Url(box) };
}

/** Opens a boxed step and returns its verified body (as JSON) and the sender's claimed identity. */
function openStep(message: unknown, type: 'peerkeys/client-auth' | 'peerkeys/server-confirm', step: HandshakeStep, me: HandshakeIdentity) {
  const parsed = boxedSchema.safeParse(message);
  if (!parsed.success || parsed.data.type !== type) fail('BAD_MESSAGE', `expected ${type}`);
  const { from } = parsed.data;
  const nonce = fromBase64Url(parsed.data.nonce, nacl.box.nonceLength);
  const box = fromBase64Url(parsed.data.box);
  const opened = nonce === null || box === null ? null : nacl.box.open(box, nonce, key(from.publicBoxKey), me.boxKey.secretKey);
  if (opened === null || opened.length < 64) fail('BAD_SIGNATURE', `${type} does not open: not boxed by the claimed sender for this side`);
  const prefix = `${SIGNING_PREFIX}handshake-${step}\n`;
  const text = fromUtf8(opened.slice(64));
  if (text === null || !text.startsWith(prefix)) fail('BAD_MESSAGE', `${type} does not hold a ${step} message`);
  let body: unknown;
  try {
    body = parseJson(text.slice(prefix.length));
  } catch {
    fail('BAD_MESSAGE', `${type} is not JSON`);
  }
  if (!isJsonObject(body)) fail('BAD_MESSAGE', `${type} is not an object`);
  return { from, body, signature: opened.slice(0, 64) };
}

/** HKDF-SHA256 over the ephemeral X25519 secret, bound to both nonces and the transcript. */
function sessionKeys(secret: Uint8Array, peerEphemeral: string, clientNonce: string, serverNonce: string, transcript: Uint8Array) {
  const shared = nacl.scalarMult(secret, key(peerEphemeral));
  secret.fill(0); // the ephemeral secret is not needed again: forward secrecy
  if (shared.every((b) => b === 0)) fail('BAD_MESSAGE', 'the ephemeral key exchange gave an all-zero secret');
  const okm = hkdf(nobleSha256, shared, concatBytes(key(clientNonce), key(serverNonce)), concatBytes(utf8(`${SIGNING_PREFIX}session\n`), transcript), 64);
  shared.fill(0);
  return { clientToServer: okm.slice(0, 32), serverToClient: okm.slice(32, 64) };
}

async function guarded<T>(transport: HandshakeTransport, run: (inbox: Inbox) => Promise<T>): Promise<T> {
  const inbox = new Inbox(transport);
  try {
    return await run(inbox);
  } catch (error) {
    const code = error instanceof HandshakeError ? error.code : 'BAD_MESSAGE';
    if (code !== 'PEER_ABORTED') {
      try {
        transport.send({ type: 'peerkeys/abort', code });
      } catch {
        // the transport is gone already
      }
    }
    inbox.close();
    transport.close();
    throw error;
  }
}

function receive(inbox: Inbox, timeoutMs: number, what: string): Promise<unknown> {
  return inbox.next(timeoutMs, () => new HandshakeError('TIMEOUT', `no ${what} within ${timeoutMs} ms`)).then((message) => {
    if (isJsonObject(message) && message['type'] === 'peerkeys/abort') fail('PEER_ABORTED', `the peer refused the handshake (${String(message['code'])})`);
    return message;
  });
}

/** Runs the client side: dials, checks the server, proves itself, and returns the secure channel. */
export function clientHandshake(transport: HandshakeTransport, options: ClientHandshakeOptions): Promise<ClientHandshakeResult> {
  // Checked at run time too, for callers in plain JavaScript: nothing is sent without a choice.
  const anyPeer = (options as { anyPeer?: unknown }).anyPeer === true;
  const expected = (options as { expectedUserId?: unknown }).expectedUserId;
  if (anyPeer === (expected !== undefined) || (expected !== undefined && typeof expected !== 'string')) {
    return Promise.reject(new TypeError('clientHandshake needs either expectedUserId (the peer this side means to reach) or anyPeer: true (whoever answers), not both'));
  }
  const now = options.now ?? Date.now;
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { me } = options;
  return guarded(transport, async (inbox) => {
    const hello: Hello = { type: 'peerkeys/hello', version: 1, nonce: randomNonce() };
    transport.send(hello);

    const parsed = serverHelloSchema.safeParse(await receive(inbox, timeout, 'server-hello'));
    if (!parsed.success) fail('BAD_MESSAGE', 'expected a valid server-hello');
    const serverHello = parsed.data;
    const { body } = serverHello;
    if (!verified('server', body, fromBase64Url(serverHello.sig, 64)!, body.device.publicKey)) fail('BAD_SIGNATURE', 'the server-hello is not signed by the key it names');
    if (body.clientNonce !== hello.nonce) fail('NONCE_MISMATCH', 'the server-hello does not answer this hello');
    checkFresh(body.timestamp, now());
    if (!anyPeer && body.device.userId !== expected) fail('UNEXPECTED_PEER', `expected ${String(expected)}, reached ${body.device.userId}`);
    const trust = await evaluateTrust(body.device.userId, body.device, { sources: options.trust, ...(options.blindTrust !== undefined ? { blindTrust: options.blindTrust } : {}), ...(options.trustBook !== undefined ? { book: options.trustBook } : {}), self: me.device });

    // Address checks are made now but enforced after client-auth is sent, so that the server
    // learns of the relay too (what it receives is signed, boxed for the server, and harmless).
    let addressProblem: string | null = null;
    if (!addressAmong(options.dialledAddress, body.device.addresses)) {
      addressProblem = `dialled ${options.dialledAddress}, which is not among the server's signed addresses (${body.device.addresses.join(', ')}): a relay is in between`;
    } else if (options.localAddresses !== undefined && !options.localAddresses.some((a) => addressHost(a) === addressHost(body.observedAddress))) {
      addressProblem = `the server saw this side connect from ${body.observedAddress}, which is not one of its addresses: a relay is in between`;
    }

    const ephemeral = nacl.box.keyPair();
    const auth: ClientAuthBody = {
      device: me.device,
      dialledAddress: options.dialledAddress,
      clientNonce: hello.nonce,
      serverNonce: body.serverNonce,
      ephemeralKey: toBase64Url(ephemeral.publicKey),
      timestamp: formatTimestamp(now()),
    };
    transport.send(sealStep('peerkeys/client-auth', 'client', auth, me, body.device.publicBoxKey));
    if (addressProblem !== null) fail('ADDRESS_MISMATCH', addressProblem);

    const transcript = transcriptHash(hello, serverHello, auth);
    const confirm = openStep(await receive(inbox, timeout, 'server-confirm'), 'peerkeys/server-confirm', 'confirm', me);
    if (confirm.from.userId !== body.device.userId || confirm.from.publicBoxKey !== body.device.publicBoxKey) fail('BAD_SIGNATURE', 'server-confirm comes from another key');
    const confirmBody = confirmBodySchema.safeParse(confirm.body);
    if (!confirmBody.success) fail('BAD_MESSAGE', 'malformed server-confirm');
    if (!verified('confirm', confirmBody.data, confirm.signature, body.device.publicKey)) fail('BAD_SIGNATURE', 'server-confirm is not signed by the server');
    if (confirmBody.data.clientNonce !== hello.nonce || confirmBody.data.serverNonce !== body.serverNonce) fail('NONCE_MISMATCH', 'server-confirm does not answer this handshake');
    if (!bytesEqual(key(confirmBody.data.transcript), transcript)) fail('BAD_MESSAGE', 'the server saw a different handshake');

    const keys = sessionKeys(ephemeral.secretKey, body.ephemeralKey, hello.nonce, body.serverNonce, transcript);
    const channel = new SecureChannel(transport, keys.clientToServer, keys.serverToClient, inbox.handOver());
    return { channel, peer: body.device, trust, anyPeer };
  });
}

/** Runs the server side for one incoming connection and returns the secure channel. */
export function serverHandshake(transport: HandshakeTransport, options: ServerHandshakeOptions): Promise<HandshakeResult> {
  const now = options.now ?? Date.now;
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { me } = options;
  return guarded(transport, async (inbox) => {
    const parsedHello = helloSchema.safeParse(await receive(inbox, timeout, 'hello'));
    if (!parsedHello.success) fail('BAD_MESSAGE', 'expected a hello');
    const hello = parsedHello.data;

    const ephemeral = nacl.box.keyPair();
    const body = {
      device: me.device,
      observedAddress: options.observedAddress,
      clientNonce: hello.nonce,
      serverNonce: randomNonce(),
      ephemeralKey: toBase64Url(ephemeral.publicKey),
      timestamp: formatTimestamp(now()),
    };
    const serverHello = { type: 'peerkeys/server-hello' as const, body, sig: toBase64Url(sign('server', body, me.signingKey)) };
    transport.send(serverHello);

    const opened = openStep(await receive(inbox, timeout, 'client-auth'), 'peerkeys/client-auth', 'client', me);
    const parsedAuth = clientAuthBodySchema.safeParse(opened.body);
    if (!parsedAuth.success) fail('BAD_MESSAGE', 'malformed client-auth');
    const auth = parsedAuth.data;
    if (auth.device.userId !== opened.from.userId || auth.device.publicBoxKey !== opened.from.publicBoxKey) fail('BAD_SIGNATURE', 'client-auth was boxed by another key than it names');
    if (!verified('client', auth, opened.signature, auth.device.publicKey)) fail('BAD_SIGNATURE', 'client-auth is not signed by the key it names');
    if (auth.clientNonce !== hello.nonce || auth.serverNonce !== body.serverNonce) fail('NONCE_MISMATCH', 'client-auth does not answer this handshake');
    checkFresh(auth.timestamp, now());
    const trust = await evaluateTrust(auth.device.userId, auth.device, { sources: options.trust, ...(options.blindTrust !== undefined ? { blindTrust: options.blindTrust } : {}), ...(options.trustBook !== undefined ? { book: options.trustBook } : {}), self: me.device });
    if (!addressAmong(auth.dialledAddress, me.device.addresses)) {
      fail('ADDRESS_MISMATCH', `the client dialled ${auth.dialledAddress}, which is not one of this side's addresses: a relay is in between`);
    }

    const transcript = transcriptHash(hello, serverHello, auth);
    const confirmBody = { clientNonce: hello.nonce, serverNonce: body.serverNonce, transcript: toBase64Url(transcript) };
    transport.send(sealStep('peerkeys/server-confirm', 'confirm', confirmBody, me, auth.device.publicBoxKey));
    const keys = sessionKeys(ephemeral.secretKey, auth.ephemeralKey, hello.nonce, body.serverNonce, transcript);
    const channel = new SecureChannel(transport, keys.serverToClient, keys.clientToServer, inbox.handOver());
    return { channel, peer: auth.device, trust };
  });
}
