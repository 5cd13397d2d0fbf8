/**
 * The sections of a verified identity: its keys with their fingerprints, its devices, its chain
 * history with nullified records marked, and where its head sits in the log. Only ever called
 * with data the SDK verified.
 */
import { keyFingerprint, type DeviceRecord, type IdBinding, type IdentityRecord, type VerifiedHistoryEntry } from '../sdk/index.js';
import { checkpointTime, h, time, type Child } from './dom.js';
import type { IdentityReport } from './verify-identity.js';

function section(id: string, title: Child[], ...content: Child[]): HTMLElement {
  return h('section', { class: `card ${id}`, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, ...title), ...content);
}

/** A fact list: `[term, value]` pairs, value left out when null. */
function facts(rows: Array<[string, Child | Child[]] | null>): HTMLDListElement {
  return h(
    'dl',
    { class: 'facts' },
    rows.filter((row) => row !== null).map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
  );
}

function tag(kind: string, text: string): HTMLSpanElement {
  return h('span', { class: `tag tag-${kind}` }, text);
}

/** A key: its fingerprint (what people compare) and the full key (what programs use). */
function key(publicKey: string, role: string): HTMLElement {
  return h('span', { class: 'key' }, h('span', { class: 'fingerprint', 'data-key': role }, keyFingerprint(publicKey)), h('code', { class: 'key-value' }, publicKey));
}

function statusTag(status: string): HTMLSpanElement {
  return status === 'active' ? tag('active', 'Active') : tag('revoked', 'Revoked');
}

/** Whether the id is bound to its genesis: what keeps a leaked id from being registered by someone else. */
function idBindingFact(binding: IdBinding): HTMLElement {
  return binding === 'self-certifying'
    ? h(
        'span',
        { class: 'id-binding', 'data-id-binding': binding },
        tag('bound', 'Self-certifying'),
        h('span', { class: 'subtle' }, ' derived from the key that signed this identity’s first record: nobody else could have registered this id.'),
      )
    : h(
        'span',
        { class: 'id-binding', 'data-id-binding': binding },
        tag('unbound', 'Unbound'),
        h('span', { class: 'subtle' }, ' not derived from this identity’s first record: whoever registered this id first holds it. Compare fingerprints with the person before you rely on these keys.'),
      );
}

function identitySection(report: IdentityReport): HTMLElement {
  const { identity } = report;
  return section(
    'identity',
    [identity.name ?? 'Unnamed identity'],
    identity.name !== undefined ? h('p', { class: 'subtle' }, 'The display name is chosen by the identity’s owner: nobody vouches for it. Compare fingerprints, not names.') : null,
    facts([
      ['User id', h('code', { class: 'user-id' }, identity.userId)],
      ['Id binding', idBindingFact(identity.idBinding)],
      ['Status', statusTag(identity.status)],
    ]),
    h('h3', {}, 'Keys'),
    h(
      'dl',
      { class: 'keys' },
      h('div', {}, h('dt', {}, 'Signing key', h('span', { class: 'subtle' }, ' publicKey: signs messages and devices')), h('dd', {}, key(identity.publicKey, 'signing'))),
      h('div', {}, h('dt', {}, 'Box key', h('span', { class: 'subtle' }, ' publicBoxKey: receives sealed messages')), h('dd', {}, key(identity.publicBoxKey, 'box'))),
    ),
    h('h3', {}, 'Rotation keys ', h('span', { class: 'subtle' }, 'strongest first: they authorise the next record')),
    h(
      'ol',
      { class: 'rotation-keys' },
      identity.rotationKeys.map((k, i) => h('li', {}, key(k, `rotation-${i}`))),
    ),
  );
}

function deviceItem(device: DeviceRecord, now: number): HTMLLIElement {
  const expired = device.expiresAt !== undefined && Date.parse(device.expiresAt) <= now;
  return h(
    'li',
    { class: 'device' },
    h('h3', {}, device.name ?? 'Unnamed device', ' ', device.status === 'revoked' ? tag('revoked', 'Revoked') : null, expired ? tag('revoked', 'Expired') : null),
    facts([
      ['Device id', h('code', {}, device.deviceId)],
      [
        'Addresses',
        device.addresses.length === 0
          ? h('span', { class: 'subtle' }, 'none published')
          : h(
              'ul',
              { class: 'addresses' },
              device.addresses.map((a) => h('li', {}, h('code', {}, a))),
            ),
      ],
      ['Updated', time(device.updatedAt)],
      device.expiresAt !== undefined ? ['Expires', time(device.expiresAt)] : null,
    ]),
  );
}

function devicesSection(report: IdentityReport): HTMLElement {
  const { devices, identity } = report;
  const now = Date.now();
  const empty =
    identity.status !== 'active' ? 'A revoked identity has no valid devices.' : 'This identity has published no devices signed by its current key.';
  return section(
    'devices',
    ['Devices ', h('span', { class: 'count' }, String(devices.length))],
    h('p', { class: 'subtle' }, 'Where this identity’s devices say they can be reached. Each record is signed by the current signing key; addresses are the owner’s claim, so a peer still checks keys when it connects.'),
    devices.length === 0 ? h('p', {}, empty) : h('ul', { class: 'devices-list' }, devices.map((d) => deviceItem(d, now))),
  );
}

/** Which rotation key signed a record, and whose list names it: "rotation key 1 of 2 named by seq 0". */
function signedBy(record: IdentityRecord, byHash: Map<string, IdentityRecord>): string {
  const authoriser = record.prev === null ? record : byHash.get(record.prev);
  const position = authoriser?.rotationKeys.indexOf(record.signer) ?? -1;
  if (authoriser === undefined || position < 0) return '';
  const whose = record.prev === null ? 'this record' : `seq ${authoriser.seq}`;
  return ` (rotation key ${position + 1} of ${authoriser.rotationKeys.length} named by ${whose}; 1 is the strongest)`;
}

/** Genesis, update, revocation — or recovery: a record that forks from one an earlier record already followed. */
function recordKind(entry: VerifiedHistoryEntry, earlier: VerifiedHistoryEntry[]): string {
  const { record } = entry;
  if (record.seq === 0) return 'Genesis';
  const recovery = earlier.some((e) => e.record.prev === record.prev);
  if (record.status === 'revoked') return recovery ? 'Recovery (revocation)' : 'Revocation';
  return recovery ? 'Recovery' : 'Update';
}

function historyItem(entry: VerifiedHistoryEntry, kind: string, headIndex: number, byHash: Map<string, IdentityRecord>): HTMLLIElement {
  const { record } = entry;
  return h(
    'li',
    { class: entry.nullified ? 'record nullified' : 'record', 'data-nullified': entry.nullified ? 'true' : 'false', 'data-index': String(entry.index) },
    h(
      'div',
      { class: 'record-head' },
      h('h3', {}, `seq ${record.seq}`, h('span', { class: 'subtle' }, ` · ${kind}`)),
      entry.nullified ? tag('nullified', 'Nullified by a recovery') : null,
      entry.index === headIndex ? tag('current', 'Current') : null,
      record.status === 'revoked' ? tag('revoked', 'Revoked') : null,
    ),
    entry.nullified ? h('p', { class: 'nullified-note' }, 'A stronger rotation key overruled this record: it stays in the public log, but no longer counts.') : null,
    facts([
      ['Log entry', `#${entry.index}`],
      ['Accepted', time(entry.acceptedAt)],
      ['Signing key', h('span', { class: 'fingerprint' }, keyFingerprint(record.publicKey))],
      ['Signed by', h('span', {}, h('span', { class: 'fingerprint' }, keyFingerprint(record.signer)), h('span', { class: 'subtle' }, signedBy(record, byHash)))],
      record.name !== undefined ? ['Name', record.name] : null,
      ['Record hash', h('code', { class: 'hash' }, entry.hash)],
    ]),
  );
}

function historySection(report: IdentityReport): HTMLElement {
  const { entries } = report.history;
  const byHash = new Map(entries.map((e) => [e.hash, e.record]));
  const nullified = entries.filter((e) => e.nullified).length;
  return section(
    'history',
    ['Chain history ', h('span', { class: 'count' }, String(entries.length))],
    h(
      'p',
      { class: 'subtle' },
      'Every record accepted for this id, in log order. ',
      nullified > 0 ? `${nullified} ${nullified === 1 ? 'was' : 'were'} nullified: overruled by a recovery within 72 hours, kept in the log for everyone to see.` : 'None has been nullified by a recovery.',
    ),
    h(
      'ol',
      { class: 'history-list' },
      entries.map((e, i) => historyItem(e, recordKind(e, entries.slice(0, i)), report.identity.head.index, byHash)),
    ),
  );
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function logSection(report: IdentityReport): HTMLElement {
  const { identity, previous } = report;
  const checkpoint = identity.checkpoint;
  return section(
    'log',
    ['Log position'],
    facts([
      ['Latest record', [`entry #${identity.head.index}, accepted `, time(identity.head.acceptedAt)]],
      ['Checked against', [`the checkpoint of ${checkpoint.size} entries, signed `, checkpointTime(checkpoint.time)]],
      ['Root hash', h('code', { class: 'hash' }, base64(checkpoint.root))],
      ['Key map root', h('code', { class: 'hash' }, base64(checkpoint.mapRoot))],
      ['Origin', h('code', {}, checkpoint.origin)],
      ['Seen before', previous === null ? 'no earlier checkpoint in this browser' : `the checkpoint of ${previous.size} entries`],
    ]),
  );
}

/** The verified identity's sections, in reading order. `checks` goes right after the keys. */
export function identitySections(report: IdentityReport, checks: HTMLElement): HTMLElement[] {
  return [identitySection(report), checks, devicesSection(report), historySection(report), logSection(report)];
}
