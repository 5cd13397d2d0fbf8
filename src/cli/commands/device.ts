/** `peerkeys device`: publishes a device record (how peers reach one of the identity's devices). */
import { isPeersId, newPeersId } from '../../protocol/ids.js';
import { formatTimestamp, parseTimestamp } from '../../protocol/time.js';
import { createDeviceRecord } from '../../sdk/records.js';
import { JSON_OPTION_HELP, KEYS_OPTION, KEYS_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, WITNESS_OPTIONS, WITNESS_OPTIONS_HELP, stringOption, UsageError, type Command } from '../command.js';
import { Keyring } from '../keys-file.js';
import { ownIdentity } from '../own-identity.js';
import { keysPath, registryClient } from '../registry-target.js';

export const device: Command = {
  name: 'device',
  help: `usage: peerkeys device --address <addr> [--address <addr>...] [--device-id <id>] [--name <name>]
                       [--expires <time>] [--revoke] [--keys <file>] [--json] [--registry <url|profile>] [--vkey <vkey>]

Signs a device record with the identity's current signing key (checked against a verified
lookup) and publishes it. The latest record per device wins; device records are not in the log.

  --address <addr>  how peers reach the device, e.g. https://host:4443 or 192.168.1.20:5000
                    (repeat for several, at most 16)
  --device-id <id>  update this device (default: a new device, whose id is printed)
  --name <name>     a name for the device, at most 64 characters
  --expires <time>  when the record stops counting, RFC 3339 (2027-01-01T00:00:00.000Z)
  --revoke          mark the device revoked
${KEYS_OPTION_HELP}
${JSON_OPTION_HELP}
${REGISTRY_OPTIONS_HELP}
${WITNESS_OPTIONS_HELP}

Exit status: 0 published; 1 refused or not verified; 2 usage; 3 log fork; 4 registry unreachable.`,
  options: {
    ...REGISTRY_OPTIONS, ...WITNESS_OPTIONS,
    ...KEYS_OPTION,
    address: { type: 'string', multiple: true },
    'device-id': { type: 'string' },
    name: { type: 'string' },
    expires: { type: 'string' },
    revoke: { type: 'boolean' },
  },
  async run(invocation) {
    const { values } = invocation;
    const addresses = (values['address'] as string[] | undefined) ?? [];
    const revoked = values['revoke'] === true;
    if (addresses.length === 0 && !revoked) throw new UsageError('give at least one --address: how peers reach this device (https://host:port, 192.168.1.20:5000)');
    const deviceId = stringOption(values, 'device-id') ?? newPeersId();
    if (!isPeersId(deviceId)) throw new UsageError(`--device-id "${deviceId}" is not a Peers id (25 characters of [0-9a-z])`);
    const expiresText = stringOption(values, 'expires');
    const expiresMs = expiresText === undefined ? undefined : (parseTimestamp(expiresText) ?? Date.parse(expiresText));
    if (expiresMs !== undefined && (Number.isNaN(expiresMs) || expiresMs <= Date.now())) throw new UsageError(`--expires "${expiresText}" is not a time in the future (RFC 3339, like 2027-01-01T00:00:00.000Z)`);
    const name = stringOption(values, 'name');

    const keyring = Keyring.load(keysPath(invocation));
    const client = registryClient(invocation);
    const { signingKey } = await ownIdentity(client, keyring);
    const record = await createDeviceRecord({
      userId: keyring.userId,
      deviceId,
      addresses,
      signingKey,
      status: revoked ? 'revoked' : 'active',
      ...(name !== undefined ? { name } : {}),
      ...(expiresMs !== undefined ? { expiresAt: formatTimestamp(expiresMs) } : {}),
    });
    const stored = await client.publishDevice(record);
    const { ui } = invocation;
    if (ui.json) {
      ui.printJson(stored);
      return 0;
    }
    ui.ok(`published device ${stored.deviceId} of ${stored.userId}${revoked ? ' (revoked)' : ''}: ${stored.addresses.join(' ') || '(no addresses)'}`);
    if (stringOption(values, 'device-id') === undefined) ui.print(`update it later with --device-id ${stored.deviceId}`);
    return 0;
  },
};
