/**
 * When a registry's answer fails a check against the pinned log, says what it presented instead,
 * so that a person can tell a reset registry from an attack and knows what to do:
 *
 * - a checkpoint signed by another key (BAD_CHECKPOINT): the pinned and the presented key ids and
 *   fingerprints, side by side, and how to pin the new key once it is confirmed out of band;
 * - a checkpoint smaller than, or different from, the one this client verified before (STALE_ANSWER,
 *   LOG_FORK): the two sizes, and `peerkeys state forget <origin>` for a registry known to be reset;
 * - two checkpoints of one size and one root with different key map roots (LOG_FORK): the two map
 *   roots, and no way out by forgetting — no reset does that, the map root is a function of the log.
 *
 * It fetches the registry's current checkpoint (and GET /v1/registry) once more, for the message
 * only: nothing fetched here is trusted or stored. When that fails, the error is left as it was.
 */
import { parseCheckpointText, parseSignedNote, parseVerifierKey, verifyCheckpointNote, type NoteKey } from '../protocol/checkpoint.js';
import { toBase64, toHex } from '../protocol/encoding.js';
import { ReceiptNotVerifiedError, VerificationError } from '../sdk/errors.js';
import { registryInfoSchema } from '../sdk/responses.js';
import { nodeVerify } from '../node/node-ed25519.js';
import { EXIT, type Invocation } from './command.js';
import { CommandFailure } from './failure.js';
import { StateFile } from './log-state.js';
import { vkeyFingerprint } from './output.js';
import { registryTarget, statePath, type RegistryTarget } from './registry-target.js';

const TIMEOUT_MS = 5000;

/** Returns a CommandFailure that explains `error`, or `error` itself when there is nothing to add. */
export async function diagnosePinnedLog(error: unknown, invocation: Pick<Invocation, 'values' | 'env'>): Promise<unknown> {
  const receipt = error instanceof ReceiptNotVerifiedError ? error : null;
  const check = receipt?.failure ?? error;
  if (!(check instanceof VerificationError) || !['BAD_CHECKPOINT', 'STALE_ANSWER', 'LOG_FORK'].includes(check.code)) return error;
  let target: RegistryTarget;
  try {
    target = registryTarget(invocation);
  } catch {
    return error;
  }
  const note = await fetchText(`${target.url}/v1/log/checkpoint`);
  if (note === null) return error;
  const explained = check.code === 'BAD_CHECKPOINT' ? await wrongKey(target, note) : await regression(check, target, note, statePath(invocation));
  if (explained === null) return error;
  if (receipt === null) return explained;
  return new CommandFailure(
    `accepted${receipt.index === null ? '' : ` at index ${receipt.index}`}, receipt not verified: ${explained.message}`,
    explained.exit,
    'RECEIPT_NOT_VERIFIED',
    { index: receipt.index, check: explained.code, ...explained.details },
    explained.hint,
  );
}

async function fetchText(url: string): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return response.ok ? await response.text() : null;
  } catch {
    return null;
  }
}

function keyIdOf(key: NoteKey): string {
  return toHex(key.keyId);
}

/** The checkpoint is not signed by the pinned key: which key signed it? */
async function wrongKey(target: RegistryTarget, note: string): Promise<CommandFailure | null> {
  const parsed = parseSignedNote(note);
  const text = parsed === null ? null : parseCheckpointText(parsed.text);
  if (parsed === null || text === null) return null;
  const pinnedId = keyIdOf(target.key);
  // A line naming the pinned key whose signature fails is a forgery or damage, not another key.
  if (parsed.signatures.some((s) => s.name === target.key.name && toHex(s.keyId) === pinnedId)) return null;
  const info = registryInfoSchema.safeParse(await fetchJson(`${target.url}/v1/registry`));
  const announced = info.success ? info.data.vkey : null;
  const presented = parsed.signatures.map((s) => {
    const keyId = toHex(s.keyId);
    // The fingerprint only when /v1/registry announces the key that made this line (unverified: for comparing).
    const match = announced !== null && announced.startsWith(`${s.name}+${keyId}+`) ? announced : null;
    const key = match === null ? null : parseVerifierKey(match);
    return { origin: s.name, keyId, fingerprint: key === null ? null : vkeyFingerprint(key), vkey: key === null ? null : match };
  });
  const pinned = { origin: target.key.name, keyId: pinnedId, fingerprint: vkeyFingerprint(target.key), vkey: target.vkey };
  const rows = [
    ['', 'origin', 'key id', 'fingerprint', ''],
    ['pinned', pinned.origin, pinned.keyId, pinned.fingerprint, `(${target.vkeySource})`],
    ...presented.map((p) => ['presented', p.origin, p.keyId, p.fingerprint ?? '?', '(signs its checkpoint)']),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => `  ${r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell)).join('  ')}`.trimEnd()).join('\n');
  const originChanged = text.origin !== target.key.name;
  const pin = `peerkeys pin ${target.url}${target.profile === null ? '' : ` --name ${target.profile}`} --force`;
  return new CommandFailure(
    `the registry at ${target.url} signs its log with another key than the one pinned for it${originChanged ? `, under another origin (${text.origin})` : ''}:\n${table}`,
    EXIT.FAILED,
    'VKEY_MISMATCH',
    { pinned, presented },
    'If its operator changed the key (a registry restarted on a fresh data folder makes a new one), compare the presented ' +
      `fingerprint with theirs over a channel you trust, then pin it: \`${pin}\` (or update PEERKEYS_VKEY). ` +
      'If they did not, do not trust this registry.',
  );
}

async function fetchJson(url: string): Promise<unknown> {
  const text = await fetchText(url);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The registry's checkpoint, signed by the pinned key, is smaller than or different from the one verified before. */
async function regression(check: VerificationError, target: RegistryTarget, note: string, state: string): Promise<CommandFailure | null> {
  const presented = await verifyCheckpointNote(note, target.key, nodeVerify);
  const saved = (await new StateFile(state).store(target.vkey).get(`checkpoint:${target.key.name}`)) ?? null;
  if (presented === null || saved === null) return null;
  let verified: { size: number; root: string; mapRoot?: string };
  try {
    verified = JSON.parse(saved) as { size: number; root: string; mapRoot?: string };
  } catch {
    return null;
  }
  const root = toBase64(presented.root);
  const log = `the log ${target.key.name} (key ${keyIdOf(target.key)})`;
  const forget = `peerkeys state forget ${target.key.name}`;
  const details = { log: { origin: target.key.name, keyId: keyIdOf(target.key) }, verifiedSize: verified.size, presentedSize: presented.size, fix: forget };
  const resetHint =
    `If you know this registry was reset — restarted on a fresh database with the same key — forget what this client verified about that log: \`${forget}\` ` +
    `(a copy is kept). Otherwise this is what a registry rewriting its history looks like: keep ${state}, it holds the signed checkpoint, and tell the registry's operator.`;
  const exit = check.code === 'LOG_FORK' ? EXIT.FORK : EXIT.FAILED;
  if (presented.size < verified.size) {
    return new CommandFailure(
      `${log} went backwards: this client verified a checkpoint of ${verified.size} entries before, and the registry at ${target.url} now shows ${presented.size}, signed by the same key (a replica that lags behind would do that too: try again later)`,
      exit,
      check.code,
      { ...details, what: 'backwards' },
      resetHint,
    );
  }
  if (presented.size === verified.size && root !== verified.root) {
    return new CommandFailure(
      `LOG FORK: ${log} forked: two checkpoints of ${verified.size} entries with different roots, both signed by the pinned key (the one verified before is in ${state})`,
      EXIT.FORK,
      'LOG_FORK',
      { ...details, what: 'fork' },
      resetHint,
    );
  }
  const presentedMapRoot = presented.mapRoot === undefined ? undefined : toBase64(presented.mapRoot);
  if (check.code === 'LOG_FORK' && presented.size === verified.size && verified.mapRoot !== undefined && presentedMapRoot !== undefined && presentedMapRoot !== verified.mapRoot) {
    return new CommandFailure(
      `LOG FORK: ${log} shows two key maps of one log: two checkpoints of ${verified.size} entries with the same root and different key map roots (${verified.mapRoot} verified before, ${presentedMapRoot} now), both signed by the pinned key`,
      EXIT.FORK,
      'LOG_FORK',
      { log: details.log, verifiedSize: verified.size, presentedSize: presented.size, what: 'map', verifiedMapRoot: verified.mapRoot, presentedMapRoot },
      `No reset does this: a key map root is a function of the log. Keep ${state}, it holds the signed checkpoint verified before, and tell the registry's operator; ` +
        '`peerkeys log verify --state <a new file>` folds the log and names the checkpoint whose map root is not its map (MAP_ROOT_MISMATCH).',
    );
  }
  if (check.code === 'LOG_FORK' && presented.size > verified.size) {
    return new CommandFailure(
      `LOG FORK: ${log} forked: the registry's checkpoint of ${presented.size} entries does not extend the one of ${verified.size} entries this client verified before (${check.message})`,
      EXIT.FORK,
      'LOG_FORK',
      { ...details, what: 'rewritten' },
      resetHint,
    );
  }
  // An older head than one seen before, in a log that otherwise moved on: say so, with the same way out.
  return new CommandFailure(`verification failed (${check.code}): ${check.message}`, exit, check.code, { ...details, what: 'stale-head' }, resetHint);
}
