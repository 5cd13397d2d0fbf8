/**
 * The list of what the browser checked, built from an outcome. A check is marked `passed` only
 * when the SDK call that performs it resolved; a check that the SDK performs inside a call that
 * failed is `not-checked` unless the failure's code names it. `note` marks what is true but not a
 * proof (a first-use pin, a first checkpoint with nothing to compare it to).
 */
import type { VerificationCode } from '../sdk/index.js';
import { readableUtc } from './dom.js';
import type { PinCheck } from './pin.js';
import type { IdentityReport, Outcome, Phase } from './verify-identity.js';

export type CheckId = 'registry-key' | 'signatures' | 'links' | 'inclusion' | 'checkpoint' | 'newest' | 'consistency' | 'history' | 'devices';
export type Mark = 'passed' | 'failed' | 'pending' | 'not-checked' | 'note';

export interface Check {
  id: CheckId;
  title: string;
  mark: Mark;
  detail: string;
}

const TITLES: Record<CheckId, string> = {
  'registry-key': 'Registry key',
  signatures: 'Chain signatures',
  links: 'Chain links',
  inclusion: 'Inclusion proof',
  checkpoint: 'Checkpoint signature',
  newest: 'Newest record',
  consistency: 'Consistency with earlier checkpoints',
  history: 'Audit history',
  devices: 'Devices',
};

const ORDER = Object.keys(TITLES) as CheckId[];

/** The checks the lookup (one SDK call) performs, and the failure codes that name each. */
const LOOKUP_CHECKS: Partial<Record<CheckId, VerificationCode[]>> = {
  signatures: ['INVALID_RECORD', 'BAD_SIGNATURE'],
  links: ['CHAIN_GAP', 'CHAIN_ORDER', 'CHAIN_BROKEN'],
  inclusion: ['HEAD_MISMATCH', 'BAD_INCLUSION_PROOF'],
  checkpoint: ['BAD_CHECKPOINT', 'INSUFFICIENT_COSIGNATURES'],
  newest: ['STALE_ANSWER', 'STALE_CHECKPOINT'],
  consistency: ['LOG_FORK', 'STALE_ANSWER'],
};

const PHASE_CHECK: Record<Exclude<Phase, 'lookup'>, CheckId> = { history: 'history', devices: 'devices', 'cross-check': 'history' };

function check(id: CheckId, mark: Mark, detail: string): Check {
  return { id, title: TITLES[id], mark, detail };
}

/** The key id a vkey names (`<origin>+<key id>+<key>`), to compare at a glance; '?' when it names none. */
function keyId(vkey: string): string {
  return /^[^+]+\+([0-9a-f]{8})\+/.exec(vkey)?.[1] ?? '?';
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

export function registryKeyCheck(pin: PinCheck): Check {
  switch (pin.kind) {
    case 'first-use':
      return check('registry-key', 'note', 'First visit: this browser pinned the key the registry presents now. From here on it can tell you if the key changes; compare it with a source you trust to know it is the right one.');
    case 'match':
      return check(
        'registry-key',
        'passed',
        pin.pin.source === 'by-hand'
          ? `The registry presents the key you pinned yourself on ${day(pin.pin.pinnedAt)}.`
          : `The registry presents the same key as on this browser’s first visit (${day(pin.pin.pinnedAt)}).`,
      );
    case 'changed':
      return check(
        'registry-key',
        'failed',
        pin.presented === null
          ? `The registry presents no valid key, but this browser pinned one (key id ${keyId(pin.pin.vkey)}).`
          : `The registry presents a different key from the one this browser pinned: pinned key id ${keyId(pin.pin.vkey)}, presented key id ${keyId(pin.presented)}.`,
      );
    case 'no-key':
      return check('registry-key', 'failed', 'The registry presents no valid key to pin.');
    case 'unpinned':
      return check('registry-key', 'pending', 'Nothing pinned yet.');
  }
}

/** While the checks run: the registry key is settled, everything else is pending. */
export function pendingChecks(pin: PinCheck): Check[] {
  return ORDER.map((id) => (id === 'registry-key' ? registryKeyCheck(pin) : check(id, 'pending', 'Waiting for the registry’s answer.')));
}

function passedLookupChecks(report: Pick<IdentityReport, 'identity' | 'previous'>): Partial<Record<CheckId, Check>> {
  const { identity, previous } = report;
  const records = identity.entries.length;
  const size = identity.checkpoint.size;
  let consistency: Check;
  if (previous === null) {
    consistency = check('consistency', 'note', 'This is the first checkpoint this browser has seen from this registry, so there is nothing to compare it with yet. It is remembered for next time.');
  } else if (previous.size === size) {
    consistency = check('consistency', 'passed', `The same checkpoint of ${size} entries that this browser saw before. No older version of this identity than one seen before.`);
  } else if (previous.size < size) {
    consistency = check('consistency', 'passed', `The log of ${size} entries extends the one of ${previous.size} entries this browser saw before (consistency proof verified). No older version of this identity than one seen before.`);
  } else {
    consistency = check('consistency', 'passed', `An older view of the log (${size} entries) than the ${previous.size} entries this browser saw before, and a consistent one (proof verified). No older version of this identity than one seen before.`);
  }
  return {
    signatures: check(
      'signatures',
      'passed',
      records === 1
        ? 'The record is signed by one of its own rotation keys and proves possession of the signing key it names.'
        : `All ${records} records are signed by a rotation key of the record before them (the first by one of its own), and each proves possession of the signing key it names.`,
    ),
    links: check('links', 'passed', records === 1 ? 'A genesis record: seq 0, linked to nothing before it.' : `Each record names the hash of the one before it, with seq 0 to ${records - 1} and later times.`),
    inclusion: check('inclusion', 'passed', `The latest record is entry #${identity.head.index} of the log, proven against the root of the checkpoint of ${size} entries.`),
    checkpoint: check('checkpoint', 'passed', `The checkpoint of ${size} entries is signed by the pinned registry key (${identity.checkpoint.origin}).`),
    newest: check(
      'newest',
      'passed',
      `The key map committed to by that checkpoint, signed ${readableUtc(new Date(identity.checkpoint.time).toISOString())}, holds this record as the identity’s head (map proof verified): nothing newer was accepted before then.`,
    ),
    consistency,
  };
}

function passedHistoryCheck(history: IdentityReport['history']): Check {
  const count = history.entries.length;
  const nullified = history.entries.filter((e) => e.nullified).length;
  const marks = nullified === 0 ? 'none nullified' : `${nullified} nullified by a recovery, exactly as marked`;
  return check(
    'history',
    'passed',
    `${count} record${count === 1 ? '' : 's'} replayed in log order (${marks}), ending at the head the key map holds; each one’s inclusion proven against the checkpoint of ${history.checkpoint.size} entries.`,
  );
}

function passedDevicesCheck(report: IdentityReport): Check {
  if (report.identity.status !== 'active') return check('devices', 'note', 'A revoked identity has no valid devices: none are shown.');
  const count = report.devices.length;
  return check('devices', 'passed', count === 0 ? 'No device records signed by the current signing key.' : `${count} device record${count === 1 ? '' : 's'} signed by the current signing key. Records that are not are left out.`);
}

export function checksFor(outcome: Outcome, pin: PinCheck): Check[] {
  const found: Partial<Record<CheckId, Check>> = { 'registry-key': registryKeyCheck(pin) };
  if (outcome.kind === 'verified') {
    Object.assign(found, passedLookupChecks(outcome.report), { history: passedHistoryCheck(outcome.report.history), devices: passedDevicesCheck(outcome.report) });
  } else if (outcome.kind === 'failed') {
    const { verified, phase, code } = outcome;
    if (verified.identity !== undefined) Object.assign(found, passedLookupChecks({ identity: verified.identity, previous: verified.previous }));
    if (verified.history !== undefined && phase !== 'cross-check') found.history = passedHistoryCheck(verified.history);
    if (phase === 'lookup') {
      for (const [id, codes] of Object.entries(LOOKUP_CHECKS) as Array<[CheckId, string[]]>) {
        if (codes.includes(code)) found[id] = check(id, 'failed', `Failed: ${code}.`);
      }
    } else if (phase !== 'pin') {
      found[PHASE_CHECK[phase]] = check(PHASE_CHECK[phase], 'failed', `Failed: ${code}.`);
    }
  }
  const unreached = outcome.kind === 'failed' ? 'Not checked: the verification stopped at a failure.' : 'Not checked.';
  return ORDER.map((id) => found[id] ?? check(id, 'not-checked', unreached));
}
