/** `peerkeys lookup`: a user's keys, fingerprints and devices, each verified before it is shown. */
import { isPeersId, type IdBinding } from '../../protocol/ids.js';
import { recordHash } from '../../protocol/signing.js';
import { keyFingerprint } from '../../sdk/fingerprint.js';
import { EXIT, JSON_OPTION_HELP, KEYS_OPTION, KEYS_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, WITNESS_OPTIONS, WITNESS_OPTIONS_HELP, UsageError, type Command } from '../command.js';
import { Keyring } from '../keys-file.js';
import { keyJson, keyLine } from '../output.js';
import { keysPath, registryClient } from '../registry-target.js';

const ID_BINDING_TEXT: Record<IdBinding, string> = {
  'self-certifying': 'self-certifying (derived from the key that signed the genesis: nobody else could have registered this id)',
  unbound: 'UNBOUND (not derived from its genesis: whoever registered this id first holds it; check the keys with the person)',
};

export const lookup: Command = {
  name: 'lookup',
  help: `usage: peerkeys lookup [<userId>] [--history] [--allow-revoked] [--json] [--keys <file>]
                      [--registry <url|profile>] [--vkey <vkey>]

Looks a user up and shows only what it verified: every record of the identity's chain
(signatures, links), the head's inclusion proof, the checkpoint's signature against the pinned
key and its consistency with the last checkpoint this client saw; the devices, each signed by the
user's current key. Prints the status, whether the userId is bound to its genesis (self-certifying:
derived from the key that signed the identity's first record, so nobody else could have registered
it; unbound: taken first come, first served), the keys with their fingerprints (compare those with
the person, out of band), the rotation keys, and the devices.

  <userId>          who to look up (default: the identity in the keys file)
  --history         also the full audit history: every record with its hash, nullified ones
                    marked (what \`peerkeys recover --undo-from\` takes)
  --allow-revoked   exit 0 for a revoked identity too (without it, a revoked identity is shown
                    and the exit status is 5, so that a script cannot take its keys for current)
${JSON_OPTION_HELP}
${KEYS_OPTION_HELP}
${REGISTRY_OPTIONS_HELP}
${WITNESS_OPTIONS_HELP}

Exit status: 0 verified and active; 1 not found, refused or not verified; 2 usage; 3 log fork;
4 registry unreachable; 5 verified, but revoked (unless --allow-revoked).`,
  options: { ...REGISTRY_OPTIONS, ...WITNESS_OPTIONS, ...KEYS_OPTION, history: { type: 'boolean' }, 'allow-revoked': { type: 'boolean' } },
  positionals: 1,
  async run(invocation) {
    const userId = invocation.positionals[0] ?? Keyring.load(keysPath(invocation)).userId;
    if (!isPeersId(userId)) throw new UsageError(`"${userId}" is not a userId (25 characters of [0-9a-z])`);
    const client = registryClient(invocation);
    const identity = await client.lookup(userId);
    const devices = await client.devices(userId, identity);
    const history = invocation.values['history'] === true ? (await client.history(userId)).entries : null;
    const { ui } = invocation;
    const revoked = identity.status === 'revoked';
    const refuseRevoked = revoked && invocation.values['allow-revoked'] !== true;
    const revokedMessage = `${userId} is revoked (since log index ${identity.head.index}, ${identity.head.acceptedAt}): its keys are not to be used; --allow-revoked accepts it`;

    if (ui.json) {
      ui.printJson({
        userId,
        ...(identity.name !== undefined ? { name: identity.name } : {}),
        status: identity.status,
        idBinding: identity.idBinding,
        publicKey: keyJson(identity.publicKey),
        publicBoxKey: keyJson(identity.publicBoxKey),
        rotationKeys: identity.rotationKeys.map(keyJson),
        head: identity.head,
        checkpoint: { origin: identity.checkpoint.origin, size: identity.checkpoint.size },
        chain: identity.entries.map((e) => ({ seq: e.record.seq, index: e.index, acceptedAt: e.acceptedAt, hash: recordHash(e.record), signer: keyJson(e.record.signer) })),
        devices,
        ...(history !== null ? { history: history.map((e) => ({ index: e.index, acceptedAt: e.acceptedAt, hash: e.hash, seq: e.record.seq, status: e.record.status, signer: keyJson(e.record.signer), nullified: e.nullified })) } : {}),
        // A revoked identity's lookup is still shown in full; scripts see the exit status and this.
        ...(refuseRevoked ? { error: { code: 'IDENTITY_REVOKED', message: revokedMessage } } : {}),
      });
      return refuseRevoked ? EXIT.REVOKED : EXIT.OK;
    }
    ui.print(`userId        ${userId}`);
    if (identity.name !== undefined) ui.print(`name          ${identity.name}`);
    ui.print(`status        ${ui.mark(!revoked)} ${identity.status}`);
    ui.print(`id binding    ${ID_BINDING_TEXT[identity.idBinding]}`);
    ui.print(keyLine('signing key', identity.publicKey));
    ui.print(keyLine('box key', identity.publicBoxKey));
    identity.rotationKeys.forEach((key, i) => ui.print(keyLine(i === 0 ? 'rotation keys' : '', key)));
    ui.print(`head          seq ${identity.head.seq}, log index ${identity.head.index}, accepted ${identity.head.acceptedAt}, hash ${identity.head.hash}`);
    ui.print(`verified      ${ui.mark(true)} chain of ${identity.entries.length} record(s), proven in the checkpoint of ${identity.checkpoint.size} entries signed by ${identity.checkpoint.origin}`);
    if (devices.length === 0) ui.print('devices       none');
    for (const device of devices) {
      ui.print(`device        ${device.deviceId}${device.name !== undefined ? ` "${device.name}"` : ''} ${device.status}: ${device.addresses.join(' ') || '(no addresses)'}`);
    }
    if (history !== null) {
      ui.print('history       (log order; nullified records were overruled by a recovery)');
      for (const entry of history) {
        ui.print(
          `  index ${entry.index}  seq ${entry.record.seq}  ${entry.acceptedAt}  ${entry.record.status}  signed by ${keyFingerprint(entry.record.signer)}  hash ${entry.hash}${entry.nullified ? '  NULLIFIED' : ''}`,
        );
      }
    }
    if (refuseRevoked) {
      ui.problem(revokedMessage);
      return EXIT.REVOKED;
    }
    return EXIT.OK;
  },
};
