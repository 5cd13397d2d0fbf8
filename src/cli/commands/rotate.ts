/** `peerkeys rotate`: a successor record with a new signing key, and optionally new rotation keys. */
import { generateSigningKeyPair } from '../../sdk/keys.js';
import { createSuccessorRecord } from '../../sdk/records.js';
import { JSON_OPTION_HELP, KEYS_OPTION, KEYS_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, WITNESS_OPTIONS, WITNESS_OPTIONS_HELP, stringOption, type Command } from '../command.js';
import { Keyring } from '../keys-file.js';
import { keyJson, keyLine } from '../output.js';
import { ownIdentity } from '../own-identity.js';
import { keysPath, registryClient } from '../registry-target.js';

export const rotate: Command = {
  name: 'rotate',
  help: `usage: peerkeys rotate [--keys <file>] [--new-rotation-keys] [--name <name>] [--json] [--registry <url|profile>] [--vkey <vkey>]

Looks the identity up (verified), checks that its current head is one this keys file made, and
submits a successor with a new signing key, signed by the file's rotation key. New keys are saved
in the keys file before the record is sent, so none is ever lost; old ones stay in it.

After a rotation, publish your device records again: those signed by the old key are no longer
listed.

${KEYS_OPTION_HELP}
  --new-rotation-keys  also replace the rotation and recovery keys (after a device holding them
                    was lost; the new recovery key is then the one to keep offline)
  --name <name>     change the display name
${JSON_OPTION_HELP}
${REGISTRY_OPTIONS_HELP}
${WITNESS_OPTIONS_HELP}

Exit status: 0 rotated; 1 refused, not verified (RECEIPT_NOT_VERIFIED: accepted, but the receipt
did not verify), or the head is not this file's (see \`peerkeys recover\`); 2 usage; 3 log fork;
4 registry unreachable.`,
  options: { ...REGISTRY_OPTIONS, ...WITNESS_OPTIONS, ...KEYS_OPTION, 'new-rotation-keys': { type: 'boolean' }, name: { type: 'string' } },
  async run(invocation) {
    const keyring = Keyring.load(keysPath(invocation));
    const client = registryClient(invocation);
    const { head, rotationKey } = await ownIdentity(client, keyring);
    const name = stringOption(invocation.values, 'name');

    const signing = generateSigningKeyPair();
    keyring.add('signing', signing);
    let rotationKeys: string[] | undefined;
    if (invocation.values['new-rotation-keys'] === true) {
      const [rotation, recovery] = [generateSigningKeyPair(), generateSigningKeyPair()];
      keyring.add('rotation', rotation);
      keyring.add('recovery', recovery);
      rotationKeys = [recovery.publicKey, rotation.publicKey];
    }
    keyring.save();

    const record = await createSuccessorRecord({
      previous: head,
      signingKey: signing,
      signer: rotationKey,
      ...(rotationKeys !== undefined ? { rotationKeys } : {}),
      ...(name !== undefined ? { name } : {}),
    });
    const receipt = await client.submit(record);
    const { ui } = invocation;
    if (ui.json) {
      ui.printJson({
        userId: keyring.userId,
        seq: record.seq,
        index: receipt.index,
        hash: receipt.hash,
        signingKey: keyJson(record.publicKey),
        previousSigningKey: keyJson(head.publicKey),
        rotationKeys: record.rotationKeys.map(keyJson),
      });
      return 0;
    }
    ui.ok(`rotated ${keyring.userId} (seq ${record.seq}) at log index ${receipt.index}`);
    ui.print(keyLine('signing key', record.publicKey));
    ui.print(keyLine('was', head.publicKey));
    if (rotationKeys !== undefined) for (const key of rotationKeys) ui.print(keyLine('rotation key', key));
    ui.print('publish your device records again: those signed by the old key are no longer listed');
    return 0;
  },
};
