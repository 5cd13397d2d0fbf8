/** `peerkeys keygen`: a new identity's keys in a file only its owner can read; `--seed`: a registry log key. */
import { randomBytes } from 'node:crypto';
import { toBase64Url } from '../../protocol/encoding.js';
import { KEYS_OPTION, UsageError, type Command } from '../command.js';
import { Keyring } from '../keys-file.js';
import { keyLine, print } from '../output.js';
import { keysPath } from '../registry-target.js';

export const keygen: Command = {
  name: 'keygen',
  help: `usage: peerkeys keygen [--keys <file>] [--force]
       peerkeys keygen --seed

Makes a new identity: a fresh userId and four key pairs (signing, box, rotation, recovery) in a
keys file created with mode 0600, readable by you alone. Prints the userId and the public keys
with their fingerprints, never a secret key. \`peerkeys register\` then publishes the identity.

The file is the identity: keep it safe, and keep a copy offline. Its recovery key (the strongest
rotation key) can overrule anything signed with the rotation key for 72 hours: it is how you get
the identity back if the file, or a copy of it, is stolen.

  --keys <file>  where to write the keys (default: $PEERKEYS_KEYS, else ~/.config/peerkeys/identity.json)
  --force        replace an existing keys file (the keys in it are lost)
  --seed         instead, print a fresh log signing key for a registry (32 random bytes in
                 unpadded base64url): the value for LOG_SIGNING_KEY. It is a secret; it is the
                 only thing this tool ever prints that is one.

Exit status: 0 done; 2 the keys file exists (use --force) or a usage error.`,
  options: { ...KEYS_OPTION, force: { type: 'boolean' }, seed: { type: 'boolean' } },
  async run(invocation) {
    const { values } = invocation;
    if (values['seed'] === true) {
      if (values['keys'] !== undefined || values['force'] !== undefined) throw new UsageError('--seed prints a registry log key; it takes no --keys or --force');
      print(toBase64Url(randomBytes(32)));
      return 0;
    }
    const path = keysPath(invocation);
    const keyring = Keyring.create(path, { force: values['force'] === true });
    print(`wrote ${path} (mode 0600): keep it safe, it is the identity`);
    print(`userId        ${keyring.userId}`);
    print(keyLine('signing key', keyring.newest('signing').publicKey));
    print(keyLine('box key', keyring.newest('box').publicKey));
    print(keyLine('rotation key', keyring.newest('rotation').publicKey));
    print(keyLine('recovery key', keyring.newest('recovery').publicKey));
    print(`next: peerkeys register --keys ${path}`);
    return 0;
  },
};
