/**
 * The connection handshake's messages (DESIGN.md §8), their schemas and signing inputs.
 *
 *   1. client → server  hello           { nonce }
 *   2. server → client  server-hello    signed, not boxed: the server's device info, the address it
 *                                       sees the client connect from, both nonces, an ephemeral
 *                                       X25519 key and a timestamp
 *   3. client → server  client-auth     signed and boxed: the client's device info, the address it
 *                                       dialled, both nonces, its ephemeral key and a timestamp
 *   4. server → client  server-confirm  signed and boxed: both nonces and the transcript hash
 *
 * Each signature has its own domain prefix, so no message can pass for another or for a record.
 */
import * as z from 'zod/mini';
import { concatBytes, utf8 } from '../../protocol/encoding.js';
import { canonicalJson } from '../../protocol/json.js';
import { ed25519KeySchema, hashSchema, peersIdSchema, signatureSchema, timestampSchema, x25519KeySchema } from '../../protocol/schemas.js';
import { SIGNING_PREFIX } from '../../protocol/signing.js';
import { sha256 } from '../../protocol/hash.js';
import type { Assert, SchemaMatches } from '../../protocol/records.js';

const nonce = hashSchema; // 32 random bytes, base64url
const address = z.string().check(z.minLength(1), z.maxLength(256));

/** @internal */
export const deviceInfoSchema = z.strictObject({
  userId: peersIdSchema,
  deviceId: peersIdSchema,
  publicKey: ed25519KeySchema,
  publicBoxKey: x25519KeySchema,
  addresses: z.array(address).check(z.maxLength(16)),
});

/** A device as it introduces itself in a handshake: ids, keys and up to 16 addresses. */
export type DeviceInfo = {
  userId: string;
  deviceId: string;
  publicKey: string;
  publicBoxKey: string;
  addresses: string[];
};
type _DeviceInfoMatchesSchema = Assert<SchemaMatches<typeof deviceInfoSchema, DeviceInfo>>;

/** @internal */
export const helloSchema = z.strictObject({ type: z.literal('peerkeys/hello'), version: z.literal(1), nonce });

/** @internal */
export const serverHelloBodySchema = z.strictObject({
  device: deviceInfoSchema,
  observedAddress: address,
  clientNonce: nonce,
  serverNonce: nonce,
  ephemeralKey: x25519KeySchema,
  timestamp: timestampSchema,
});

/** @internal */
export const serverHelloSchema = z.strictObject({ type: z.literal('peerkeys/server-hello'), body: serverHelloBodySchema, sig: signatureSchema });

/** @internal */
export const clientAuthBodySchema = z.strictObject({
  device: deviceInfoSchema,
  dialledAddress: address,
  clientNonce: nonce,
  serverNonce: nonce,
  ephemeralKey: x25519KeySchema,
  timestamp: timestampSchema,
});

/**
 * Boxed messages carry the sender's box key in the clear: NaCl box needs it to open.
 * @internal
 */
export const boxedSchema = z.strictObject({
  type: z.enum(['peerkeys/client-auth', 'peerkeys/server-confirm']),
  from: z.strictObject({ userId: peersIdSchema, publicBoxKey: x25519KeySchema }),
  nonce: z.string().check(z.maxLength(40)),
  box: z.string().check(z.maxLength(8192)),
});

/** @internal */
export const confirmBodySchema = z.strictObject({ clientNonce: nonce, serverNonce: nonce, transcript: hashSchema });

/** @internal */
export const frameSchema = z.strictObject({ type: z.literal('peerkeys/frame'), seq: z.int().check(z.minimum(0)), box: z.string().check(z.maxLength(1_400_000)) });

/** @internal */
export type Hello = z.output<typeof helloSchema>;
/** @internal */
export type ServerHello = z.output<typeof serverHelloSchema>;
/** @internal */
export type ClientAuthBody = z.output<typeof clientAuthBodySchema>;

export type HandshakeStep = 'server' | 'client' | 'confirm';

/** `peerkeys:v1:handshake-<step>\n || JCS(body)` */
export function handshakeSigningInput(step: HandshakeStep, body: object): Uint8Array {
  return concatBytes(utf8(`${SIGNING_PREFIX}handshake-${step}\n`), utf8(canonicalJson(body)));
}

/**
 * The hash both sides compute over what they exchanged; it goes into the session keys.
 * @internal
 */
export function transcriptHash(hello: Hello, serverHello: ServerHello, clientAuth: ClientAuthBody): Uint8Array {
  return sha256(utf8(canonicalJson([hello, serverHello, clientAuth])));
}
