/** `peerkeys keygen`: a new identity's keys in a file only its owner can read; `--seed`: a registry log key. */
import { randomBytes } from 'node:crypto';
import { toBase64Url } from '../../protocol/encoding.js';
import { JSON_OPTION_HELP, KEYS_OPTION, UsageError, type Command } from '../command.js';
import { Keyring } from '../keys-file.js';
import { keyJson, keyLine } from '../output.js';
import { keysPath } from '../registry-target.js';

export const keygen: Command = {
  name: 'keygen',
  help: `usage: peerkeys keygen [--keys <file>] [--force] [--json]
       peerkeys keygen --seed

Makes a new identity: a fresh userId and four key pairs (signing, box, rotation, recovery) in a
keys file created with mode 0600, readable by you alone. Prints the userId and the public keys
with their fingerprints, never a secret key. \`peerkeys register\` then publishes the identity.

The file is the identity: keep it safe, and keep a copy offline. Its recovery key (the strongest
rotation key) can overrule anything signed with the rotation key for 72 hours: it is how you get
the identity back if the file, or a copy of it, is stolen.

  --keys <file>  where to write the keys (default: $PEERKEYS_KEYS, else <config>/identity.json,
                 in a folder only you can read: keep keys files out of source trees)
  --force        replace an existing keys file (the keys in it are lost)
  --seed         instead, print a fresh log signing key for a registry (32 random bytes in
                 unpadded base64url): the value for LOG_SIGNING_KEY. It is a secret; it is the
                 only thing this tool ever prints that is one.
${JSON_OPTION_HELP}

Exit status: 0 done; 2 the keys file exists (use --force) or a usage error.`,
  options: { ...KEYS_OPTION, force: { type: 'boolean' }, seed: { type: 'boolean' } },
  async run(invocation) {
    const { values, ui } = invocation;
    if (values['seed'] === true) {
      if (values['keys'] !== undefined || values['force'] !== undefined) throw new UsageError('--seed prints a registry log key; it takes no --keys or --force');
      const seed = toBase64Url(randomBytes(32));
      if (ui.json) ui.printJson({ logSigningKey: seed });
      ui.print(seed);
      return 0;
    }
    const path = keysPath(invocation);
    const keyring = Keyring.create(path, { force: values['force'] === true });
    const keys = { signing: keyring.newest('signing'), box: keyring.newest('box'), rotation: keyring.newest('rotation'), recovery: keyring.newest('recovery') };
    if (ui.json) {
      ui.printJson({
        keysFile: path,
        userId: keyring.userId,
        signingKey: keyJson(keys.signing.publicKey),
        boxKey: keyJson(keys.box.publicKey),
        rotationKey: keyJson(keys.rotation.publicKey),
        recoveryKey: keyJson(keys.recovery.publicKey),
      });
      return 0;
    }
    ui.ok(`wrote ${path} (mode 0600): keep it safe, it is the identity`);
    ui.print(`userId        ${keyring.userId}`);
    ui.print(keyLine('signing key', keys.signing.publicKey));
    ui.print(keyLine('box key', keys.box.publicKey));
    ui.print(keyLine('rotation key', keys.rotation.publicKey));
    ui.print(keyLine('recovery key', keys.recovery.publicKey));
    ui.print(`next: peerkeys register${values['keys'] === undefined ? '' : ` --keys ${path}`}`);
    return 0;
  },
};
