/** `peerkeys register`: publishes the genesis record of the identity in a keys file. */
import { createIdentityRecord } from '../../sdk/identity-keys.js';
import { JSON_OPTION_HELP, KEYS_OPTION, KEYS_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, WITNESS_OPTIONS, WITNESS_OPTIONS_HELP, stringOption, type Command } from '../command.js';
import { Keyring } from '../keys-file.js';
import { keyJson, keyLine } from '../output.js';
import { keysPath, registryClient } from '../registry-target.js';

export const register: Command = {
  name: 'register',
  help: `usage: peerkeys register [--keys <file>] [--name <name>] [--json] [--registry <url|profile>] [--vkey <vkey>]

Signs the genesis record of the identity in the keys file (rotation keys: recovery, then rotation;
signed by the rotation key) and submits it. The registry's receipt is verified: the record is in
its log, by an inclusion proof, under a checkpoint signed by the pinned key.

${KEYS_OPTION_HELP}
  --name <name>     a display name, at most 64 characters
${JSON_OPTION_HELP}
${REGISTRY_OPTIONS_HELP}
${WITNESS_OPTIONS_HELP}

Exit status: 0 registered; 1 refused or not verified (ALREADY_EXISTS: it is registered already;
ID_NOT_BOUND: the keys file's userId is not derived from its rotation key — a file made before
self-certifying ids, which only a registry with USER_IDS=any admits; RECEIPT_NOT_VERIFIED: the
registry accepted it, at the index the message gives, but its receipt did not verify); 2 usage;
3 log fork; 4 registry unreachable.`,
  options: { ...REGISTRY_OPTIONS, ...WITNESS_OPTIONS, ...KEYS_OPTION, name: { type: 'string' } },
  async run(invocation) {
    const keyring = Keyring.load(keysPath(invocation));
    const client = registryClient(invocation);
    const name = stringOption(invocation.values, 'name');
    const keys = { signing: keyring.newest('signing'), box: keyring.newest('box'), rotation: keyring.newest('rotation'), recovery: keyring.newest('recovery') };
    const record = await createIdentityRecord(keys, { userId: keyring.userId, ...(name !== undefined ? { name } : {}) });
    const receipt = await client.register(record);
    const { ui } = invocation;
    if (ui.json) {
      ui.printJson({ userId: keyring.userId, index: receipt.index, acceptedAt: receipt.acceptedAt, hash: receipt.hash, checkpoint: { origin: receipt.checkpoint.origin, size: receipt.checkpoint.size }, signingKey: keyJson(record.publicKey) });
      return 0;
    }
    ui.ok(`registered ${keyring.userId} at log index ${receipt.index} (verified in the registry's checkpoint of ${receipt.checkpoint.size} entries)`);
    ui.print(keyLine('signing key', record.publicKey));
    return 0;
  },
};
