/** `peerkeys recover`: overrules records made with a stolen rotation key, within 72 hours. */
import { recordHash } from '../../protocol/signing.js';
import { keyFingerprint } from '../../sdk/fingerprint.js';
import { generateIdentityKeys } from '../../sdk/identity-keys.js';
import { EXIT, JSON_OPTION_HELP, KEYS_OPTION, KEYS_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, WITNESS_OPTIONS, WITNESS_OPTIONS_HELP, stringOption, UsageError, type Command } from '../command.js';
import { CommandFailure } from '../failure.js';
import { Keyring } from '../keys-file.js';
import { keyJson, keyLine } from '../output.js';
import { keysPath, registryClient } from '../registry-target.js';

export const recover: Command = {
  name: 'recover',
  help: `usage: peerkeys recover --undo-from <hash> [--keys <file>] [--name <name>] [--json] [--registry <url|profile>] [--vkey <vkey>]

Undoes the live records of the identity from <hash> on (a thief's rotation, revocation or key
change) with a recovery record that forks from the record before it. It must be signed by a
rotation key stronger than the one that signed <hash> — normally the recovery key — and submitted
within 72 hours of <hash> being accepted. The recovery brings fresh keys throughout (signing, box,
rotation, recovery), saved in the keys file before it is sent. The undone records stay in the log
and the audit history, marked nullified.

  --undo-from <hash>  the first record to undo: \`peerkeys lookup --history\` shows each record's
                    hash, signer and time
  --name <name>     the display name for the recovered identity (default: the earlier one)
${KEYS_OPTION_HELP}
${JSON_OPTION_HELP}
${REGISTRY_OPTIONS_HELP}
${WITNESS_OPTIONS_HELP}

Exit status: 0 recovered; 1 refused (LATE_RECOVERY: the window closed), not verified, or no
strong enough key in the file; 2 usage; 3 log fork; 4 registry unreachable.`,
  options: { ...REGISTRY_OPTIONS, ...WITNESS_OPTIONS, ...KEYS_OPTION, 'undo-from': { type: 'string' }, name: { type: 'string' } },
  async run(invocation) {
    const undoFrom = stringOption(invocation.values, 'undo-from');
    if (undoFrom === undefined) throw new UsageError('which record to undo? Pass --undo-from <hash> (`peerkeys lookup --history` lists each record with its hash)');
    const keyring = Keyring.load(keysPath(invocation));
    const client = registryClient(invocation);
    const identity = await client.lookup(keyring.userId);
    const at = identity.entries.findIndex((e) => recordHash(e.record) === undoFrom);
    if (at < 1) throw new UsageError(`${undoFrom} is not a live record of ${keyring.userId} after its genesis; \`peerkeys lookup --history\` lists the records and their hashes`);
    const forkPoint = identity.entries[at - 1]!.record;
    const overruledSigner = identity.entries[at]!.record.signer;
    // Only keys listed before the overruled record's signer are stronger (DESIGN.md §2).
    const stronger = forkPoint.rotationKeys.slice(0, Math.max(0, forkPoint.rotationKeys.indexOf(overruledSigner)));
    const signer = keyring.rotationKey(stronger, { strongest: true });
    if (signer === null) {
      throw new CommandFailure(
        `undoing ${undoFrom} needs a rotation key stronger than the one that signed it (${keyFingerprint(overruledSigner)}): ` +
          `one of ${stronger.length === 0 ? 'none — it was signed by the strongest key' : stronger.map(keyFingerprint).join(', ')}. ${keyring.path} holds none of them.`,
        EXIT.FAILED,
        'NO_STRONGER_KEY',
      );
    }
    const fresh = generateIdentityKeys();
    keyring.add('signing', fresh.signing);
    keyring.add('box', fresh.box);
    keyring.add('rotation', fresh.rotation);
    keyring.add('recovery', fresh.recovery);
    keyring.save();

    const name = stringOption(invocation.values, 'name');
    const { record, receipt } = await client.recover({
      userId: keyring.userId,
      undoFrom,
      signer,
      signingKey: fresh.signing,
      boxKey: fresh.box,
      rotationKeys: [fresh.recovery.publicKey, fresh.rotation.publicKey],
      ...(name !== undefined ? { name } : {}),
    });
    const { ui } = invocation;
    if (ui.json) {
      ui.printJson({
        userId: keyring.userId,
        index: receipt.index,
        hash: receipt.hash,
        nullified: identity.entries.length - at,
        signingKey: keyJson(record.publicKey),
        boxKey: keyJson(record.publicBoxKey),
        rotationKeys: record.rotationKeys.map(keyJson),
      });
      return 0;
    }
    ui.ok(`recovered ${keyring.userId} at log index ${receipt.index}: ${identity.entries.length - at} record(s) from ${undoFrom} on are nullified`);
    ui.print(keyLine('signing key', record.publicKey));
    ui.print(keyLine('box key', record.publicBoxKey));
    for (const key of record.rotationKeys) ui.print(keyLine('rotation key', key));
    ui.print('publish your device records again, and keep the new recovery key offline');
    return 0;
  },
};
