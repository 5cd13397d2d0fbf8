/** `peerkeys lookup`: a user's keys, fingerprints and devices, each verified before it is shown. */
import { isPeersId, type IdBinding } from '../../protocol/ids.js';
import { recordHash } from '../../protocol/signing.js';
import { keyFingerprint } from '../../sdk/fingerprint.js';
import { KEYS_OPTION, KEYS_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, UsageError, type Command } from '../command.js';
import { Keyring } from '../keys-file.js';
import { keyJson, keyLine, print, printJson } from '../output.js';
import { keysPath, registryClient } from '../registry-target.js';

const ID_BINDING_TEXT: Record<IdBinding, string> = {
  'self-certifying': 'self-certifying (derived from the key that signed the genesis: nobody else could have registered this id)',
  unbound: 'UNBOUND (not derived from its genesis: whoever registered this id first holds it; check the keys with the person)',
};

export const lookup: Command = {
  name: 'lookup',
  help: `usage: peerkeys lookup [<userId>] [--history] [--json] [--keys <file>] [--registry <url> --vkey <vkey>]

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
  --json            print one JSON object instead
${KEYS_OPTION_HELP}
${REGISTRY_OPTIONS_HELP}

Exit status: 0 verified; 1 not found, refused or not verified; 2 usage; 3 log fork; 4 registry
unreachable.`,
  options: { ...REGISTRY_OPTIONS, ...KEYS_OPTION, history: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: 1,
  async run(invocation) {
    const userId = invocation.positionals[0] ?? Keyring.load(keysPath(invocation)).userId;
    if (!isPeersId(userId)) throw new UsageError(`"${userId}" is not a userId (25 characters of [0-9a-z])`);
    const client = registryClient(invocation);
    const identity = await client.lookup(userId);
    const devices = await client.devices(userId, identity);
    const history = invocation.values['history'] === true ? (await client.history(userId)).entries : null;

    if (invocation.values['json'] === true) {
      printJson({
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
      });
      return 0;
    }
    print(`userId        ${userId}`);
    if (identity.name !== undefined) print(`name          ${identity.name}`);
    print(`status        ${identity.status}`);
    print(`id binding    ${ID_BINDING_TEXT[identity.idBinding]}`);
    print(keyLine('signing key', identity.publicKey));
    print(keyLine('box key', identity.publicBoxKey));
    identity.rotationKeys.forEach((key, i) => print(keyLine(i === 0 ? 'rotation keys' : '', key)));
    print(`head          seq ${identity.head.seq}, log index ${identity.head.index}, accepted ${identity.head.acceptedAt}, hash ${identity.head.hash}`);
    print(`verified      chain of ${identity.entries.length} record(s), proven in the checkpoint of ${identity.checkpoint.size} entries signed by ${identity.checkpoint.origin}`);
    if (devices.length === 0) print('devices       none');
    for (const device of devices) {
      print(`device        ${device.deviceId}${device.name !== undefined ? ` "${device.name}"` : ''} ${device.status}: ${device.addresses.join(' ') || '(no addresses)'}`);
    }
    if (history !== null) {
      print('history       (log order; nullified records were overruled by a recovery)');
      for (const entry of history) {
        print(
          `  index ${entry.index}  seq ${entry.record.seq}  ${entry.acceptedAt}  ${entry.record.status}  signed by ${keyFingerprint(entry.record.signer)}  hash ${entry.hash}${entry.nullified ? '  NULLIFIED' : ''}`,
        );
      }
    }
    return 0;
  },
};
