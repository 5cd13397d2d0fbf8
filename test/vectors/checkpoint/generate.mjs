// Writes notes.json: checkpoint notes to open against the vkey below, each with the outcome
// DESIGN.md §5 and §5.1 give it. Node's crypto only (not this project's code), so the vectors
// check the code rather than repeat it. Run: node test/vectors/checkpoint/generate.mjs
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';

const ORIGIN = 'keys.example.org/peerkeys';
const seedKey = (hex) => crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(hex, 'hex')]), format: 'der', type: 'pkcs8' });
const publicOf = (key) => crypto.createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12);
const keyId = (name, pub) => crypto.createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([1]), pub])).digest().subarray(0, 4);
/** RFC 8032 §7.1 TEST 1: the registry's key in these vectors. */
const registry = seedKey('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const other = seedKey('09'.repeat(32));
const line = (name, key, text) => `\u2014 ${name} ${Buffer.concat([keyId(name, publicOf(key)), crypto.sign(null, Buffer.from(text), key)]).toString('base64')}\n`;
const signed = (text, ...extra) => `${text}\n${line(ORIGIN, registry, text)}${extra.join('')}`;

const ROOT = 'OIsptIh3612MQ0NzRjCFAQ+hd3fNlpwBf+NrJhFV8Yg=';
const MAP = 'iP72m2SSBul4r3yEcutWdHH3SoZQdRTTHdKaO+0fBds=';
const text = (size, ...ext) => `${ORIGIN}\n${size}\n${ROOT}\n${ext.map((l) => `${l}\n`).join('')}`;
const registryText = text(6, `map ${MAP}`, 'time 1796584875857');
const flipped = (note) => {
  const at = note.lastIndexOf(' ') + 20;
  return `${note.slice(0, at)}${note[at] === 'A' ? 'B' : 'A'}${note.slice(at + 1)}`;
};

/** The registry checkpoint, with one more signature line (an unknown key's, base64 of zeros) that brings it to `bytes`. */
function padded(bytes) {
  const note = signed(registryText);
  const fill = 4 * Math.floor((bytes - Buffer.byteLength(note) - 7) / 4);
  const result = `${note}\u2014 ${'w'.repeat(bytes - Buffer.byteLength(note) - 7 - fill + 1)} ${'A'.repeat(fill)}\n`;
  if (Buffer.byteLength(result) !== bytes) throw new Error(`a padded note of ${Buffer.byteLength(result)} bytes, not ${bytes}`);
  return result;
}

const cases = [
  { name: 'the registry checkpoint of DESIGN.md §5', note: signed(registryText), ok: true, registry: true, size: 6, time: 1796584875857 },
  { name: 'three lines alone: verifies, but is no registry checkpoint (clients refuse it as MALFORMED)', note: signed(text(6)), ok: true, registry: false, size: 6 },
  { name: 'a witness cosignature line by a key the verifier does not know is ignored', note: signed(registryText, line('witness.example/w1', other, registryText)), ok: true, registry: true, size: 6, time: 1796584875857 },
  { name: 'size 2^53 - 1 is the largest', note: signed(text(9007199254740991, `map ${MAP}`, 'time 0')), ok: true, registry: true, size: 9007199254740991, time: 0 },
  { name: 'another origin', note: `${text(6).replace(ORIGIN, 'other.example/log')}\n${line(ORIGIN, registry, text(6).replace(ORIGIN, 'other.example/log'))}`, ok: false, reason: 'WRONG_ORIGIN' },
  { name: 'signed by another key of the same name', note: `${registryText}\n${line(ORIGIN, other, registryText)}`, ok: false, reason: 'UNKNOWN_KEY' },
  { name: "the registry's line with a damaged signature", note: flipped(signed(registryText)), ok: false, reason: 'BAD_SIGNATURE' },
  { name: 'a map line without a time line', note: signed(text(6, `map ${MAP}`)), ok: false, reason: 'MALFORMED' },
  { name: 'time and map lines swapped', note: signed(text(6, 'time 1796584875857', `map ${MAP}`)), ok: false, reason: 'MALFORMED' },
  { name: 'a time with a leading zero', note: signed(text(6, `map ${MAP}`, 'time 01796584875857')), ok: false, reason: 'MALFORMED' },
  { name: 'a time past 2^53 - 1', note: signed(text(6, `map ${MAP}`, 'time 9007199254740992')), ok: false, reason: 'MALFORMED' },
  { name: 'a size past 2^53 - 1', note: signed(text(9007199254740992, `map ${MAP}`, 'time 0')), ok: false, reason: 'MALFORMED' },
  { name: 'a map root of 31 bytes', note: signed(text(6, `map ${Buffer.alloc(31).toString('base64')}`, 'time 0')), ok: false, reason: 'MALFORMED' },
  { name: 'a third extension line', note: signed(text(6, `map ${MAP}`, 'time 0', 'extra')), ok: false, reason: 'MALFORMED' },
  { name: '65 signature lines', note: signed(registryText, ...Array.from({ length: 64 }, (_, i) => line(`witness.example/w${i}`, other, registryText))), ok: false, reason: 'MALFORMED' },
  { name: 'a note of 65,536 bytes is the largest', note: padded(65_536), ok: true, registry: true, size: 6, time: 1796584875857 },
  { name: 'a note of 65,537 bytes', note: padded(65_537), ok: false, reason: 'MALFORMED' },
];

const vkey = `${ORIGIN}+${keyId(ORIGIN, publicOf(registry)).toString('hex')}+${Buffer.concat([Buffer.from([1]), publicOf(registry)]).toString('base64')}`;
writeFileSync(new URL('notes.json', import.meta.url), `${JSON.stringify({ description: 'Checkpoint notes opened against vkey (DESIGN.md §5, §5.1): ok, or the BAD_CHECKPOINT reason. Made by generate.mjs with Node crypto; the key is the RFC 8032 §7.1 TEST 1 seed.', vkey, cases }, null, 2)}\n`);
