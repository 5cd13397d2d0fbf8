/** `peerkeys revoke`: ends an identity with a revocation record. */
import { createSuccessorRecord } from '../../sdk/records.js';
import { JSON_OPTION_HELP, KEYS_OPTION, KEYS_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, WITNESS_OPTIONS, WITNESS_OPTIONS_HELP, UsageError, type Command } from '../command.js';
import { Keyring } from '../keys-file.js';
import { ownIdentity } from '../own-identity.js';
import { keysPath, registryClient } from '../registry-target.js';

export const revoke: Command = {
  name: 'revoke',
  help: `usage: peerkeys revoke --yes [--keys <file>] [--json] [--registry <url|profile>] [--vkey <vkey>]

Submits a record with status "revoked", signed by the keys file's rotation key. A revoked identity
accepts nothing more, except a recovery signed by a stronger rotation key within 72 hours (which
is how a revocation made with a stolen key is undone). Lookups then show it as revoked.

  --yes             required: revoking cannot be taken back by an ordinary update
${KEYS_OPTION_HELP}
${JSON_OPTION_HELP}
${REGISTRY_OPTIONS_HELP}
${WITNESS_OPTIONS_HELP}

Exit status: 0 revoked; 1 refused or not verified; 2 usage (no --yes); 3 log fork; 4 registry
unreachable.`,
  options: { ...REGISTRY_OPTIONS, ...WITNESS_OPTIONS, ...KEYS_OPTION, yes: { type: 'boolean' } },
  async run(invocation) {
    if (invocation.values['yes'] !== true) throw new UsageError('revoking ends the identity for good (only a recovery within 72 hours undoes it); run again with --yes', 'CONFIRMATION_NEEDED');
    const keyring = Keyring.load(keysPath(invocation));
    const client = registryClient(invocation);
    const { head, signingKey, rotationKey } = await ownIdentity(client, keyring);
    const record = await createSuccessorRecord({ previous: head, signingKey, signer: rotationKey, status: 'revoked' });
    const receipt = await client.submit(record);
    const { ui } = invocation;
    if (ui.json) ui.printJson({ userId: keyring.userId, status: 'revoked', seq: record.seq, index: receipt.index, hash: receipt.hash });
    ui.ok(`revoked ${keyring.userId} (seq ${record.seq}) at log index ${receipt.index}`);
    return 0;
  },
};
