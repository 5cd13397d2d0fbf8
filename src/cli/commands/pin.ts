/** `peerkeys pin`: fetches a registry's key, shows it for comparison out of band, and pins it in a profile. */
import { formatVerifierKey, parseVerifierKey, verifyCheckpointNote, type NoteKey } from '../../protocol/checkpoint.js';
import { toBase64Url, toHex } from '../../protocol/encoding.js';
import { formatTimestamp } from '../../protocol/time.js';
import { parseJson } from '../../protocol/json.js';
import { RegistryError, VerificationError } from '../../sdk/errors.js';
import { registryInfoSchema } from '../../sdk/responses.js';
import { nodeVerify } from '../../node/node-ed25519.js';
import { EXIT, JSON_OPTION_HELP, stringOption, UsageError, type Command } from '../command.js';
import { CommandFailure } from '../failure.js';
import { vkeyFingerprint } from '../output.js';
import { isProfileName, profileNameFor, RegistryProfiles } from '../registry-profiles.js';

/** GET `path` from the registry, as text; failures as the SDK reports them (RegistryError). */
async function get(url: string, path: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url + path, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new RegistryError(0, 'NETWORK', `could not reach ${url}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new RegistryError(response.status, response.status >= 500 ? 'UNAVAILABLE' : 'UNKNOWN', `GET ${path}: ${response.status}`);
  return text;
}

function keyJson(key: NoteKey, vkey: string) {
  return { origin: key.name, keyId: toHex(key.keyId), fingerprint: vkeyFingerprint(key), vkey };
}

export const pin: Command = {
  name: 'pin',
  help: `usage: peerkeys pin <url> [--name <profile>] [--expect <fingerprint|key id>] [--default] [--force] [--json]
       peerkeys pin --list [--json]
       peerkeys pin --remove <profile> [--json]

Fetches the registry's log verifier key (GET /v1/registry), checks that it signs the registry's
current checkpoint, shows its origin, key id and fingerprint, and saves it with the URL as a
profile in <config>/registries.json. Commands then take --registry <profile>, and the first
profile pinned (or the one pinned with --default) is used when no registry is named.

A key fetched from the registry itself proves nothing by itself: compare the fingerprint (or key
id) it prints with the one the registry's operator publishes, over a channel you trust — or give
that one as --expect, and pin refuses a key that differs.

  <url>             the registry, e.g. https://keys.example.org
  --name <profile>  the profile's name (default: the URL's host and port)
  --expect <fp|id>  the fingerprint (XXXX-XXXX-XXXX-XXXX-XXXX) or key id (8 hex digits) you got
                    from the operator: refuse any other key
  --default         make this profile the default
  --force           replace the key pinned in an existing profile (a registry reset with a new
                    key; the old and new keys are shown side by side before you decide)
  --list            list the profiles
  --remove <profile>  forget a profile (the state verified under its key stays: \`peerkeys state\`)
${JSON_OPTION_HELP}

Exit status: 0 pinned (or listed, removed); 1 the registry's key does not sign its checkpoint,
differs from --expect, or differs from the key pinned in the profile (without --force); 2 usage;
4 registry unreachable.`,
  options: {
    name: { type: 'string' },
    expect: { type: 'string' },
    default: { type: 'boolean' },
    force: { type: 'boolean' },
    list: { type: 'boolean' },
    remove: { type: 'string' },
  },
  positionals: 1,
  async run({ values, positionals, env, ui }) {
    const profiles = new RegistryProfiles(env.configDir);
    const document = profiles.read();

    if (values['list'] === true) {
      const rows = Object.entries(document.registries).map(([name, profile]) => {
        const key = parseVerifierKey(profile.vkey)!;
        return { name, default: name === document.default, url: profile.url, pinnedAt: profile.pinnedAt, ...keyJson(key, profile.vkey) };
      });
      if (ui.json) ui.printJson({ file: profiles.path, registries: rows });
      if (rows.length === 0) ui.print(`no registry pinned yet (${profiles.path}): \`peerkeys pin <url>\``);
      for (const row of rows) ui.print(`${row.default ? '*' : ' '} ${row.name.padEnd(20)} ${row.url}  ${row.origin}+${row.keyId}  ${row.fingerprint}`);
      return EXIT.OK;
    }
    const remove = stringOption(values, 'remove');
    if (remove !== undefined) {
      if (document.registries[remove] === undefined) throw new UsageError(`no profile "${remove}" (\`peerkeys pin --list\` shows them)`, 'NO_SUCH_PROFILE');
      delete document.registries[remove];
      if (document.default === remove) document.default = Object.keys(document.registries)[0] ?? null;
      profiles.write(document);
      if (ui.json) ui.printJson({ removed: remove, default: document.default });
      ui.ok(`removed profile "${remove}"${document.default === null ? '' : `; the default is "${document.default}"`}`);
      return EXIT.OK;
    }

    const given = positionals[0];
    if (given === undefined) throw new UsageError('which registry? `peerkeys pin <url>` (or --list)');
    let url: string;
    try {
      const parsed = new URL(given);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
      url = given.replace(/\/+$/, '');
    } catch {
      throw new UsageError(`"${given}" is not an http or https URL (like https://keys.example.org)`);
    }
    const name = stringOption(values, 'name') ?? profileNameFor(url);
    if (!isProfileName(name)) throw new UsageError(`--name "${name}": a profile name is letters, digits and . _ : - (at most 64)`);

    // Fetch the announced key, and check that it signs the checkpoint this registry serves.
    let announced: unknown = null;
    try {
      announced = parseJson(await get(url, '/v1/registry'), 16);
    } catch (error) {
      if (error instanceof RegistryError) throw error;
    }
    const info = registryInfoSchema.safeParse(announced);
    const key = info.success ? parseVerifierKey(info.data.vkey) : null;
    if (!info.success || key === null || key.name !== info.data.origin || toBase64Url(key.publicKey) !== info.data.publicKey || formatVerifierKey(key) !== info.data.vkey) {
      throw new VerificationError('INVALID_RESPONSE', `${url}/v1/registry does not announce a valid verifier key for its origin`);
    }
    const vkey = info.data.vkey;
    const note = await get(url, '/v1/log/checkpoint');
    if ((await verifyCheckpointNote(note, key, nodeVerify)) === null) {
      throw new CommandFailure(`the key ${url} announces (${key.name}+${toHex(key.keyId)}) does not sign the checkpoint it serves; nothing was pinned`, EXIT.FAILED, 'BAD_CHECKPOINT');
    }
    const presented = keyJson(key, vkey);

    const expected = stringOption(values, 'expect');
    if (expected !== undefined) {
      const wanted = expected.trim();
      const matches = wanted.toLowerCase() === presented.keyId || wanted.toUpperCase() === presented.fingerprint;
      if (!/^[0-9a-fA-F]{8}$/.test(wanted) && !/^[0-9A-Za-z]{4}(-[0-9A-Za-z]{4}){4}$/.test(wanted)) {
        throw new UsageError(`--expect "${expected}" is neither a key id (8 hex digits) nor a fingerprint (XXXX-XXXX-XXXX-XXXX-XXXX)`);
      }
      if (!matches) {
        throw new CommandFailure(
          `${url} presents key ${presented.keyId} (fingerprint ${presented.fingerprint}), not the expected ${expected}; nothing was pinned`,
          EXIT.FAILED,
          'UNEXPECTED_KEY',
          { expected, presented },
          'Check where the expected value came from. If it is right, this registry — or something between it and you — is not the one its operator runs.',
        );
      }
    }

    const existing = document.registries[name];
    if (existing !== undefined && existing.vkey !== vkey && values['force'] !== true) {
      const pinned = keyJson(parseVerifierKey(existing.vkey)!, existing.vkey);
      throw new CommandFailure(
        `profile "${name}" has another key pinned than the one ${url} presents now:\n` +
          `  pinned     ${pinned.origin}+${pinned.keyId}  ${pinned.fingerprint}  (since ${existing.pinnedAt})\n` +
          `  presented  ${presented.origin}+${presented.keyId}  ${presented.fingerprint}`,
        EXIT.FAILED,
        'PIN_CHANGED',
        { profile: name, pinned, presented },
        'A registry restarted on a fresh data folder has a new key; so would an impostor. Compare the presented fingerprint with the ' +
          `operator's over a channel you trust, then replace the pin: \`peerkeys pin ${url} --name ${name} --force\`.`,
      );
    }
    const replaced = existing !== undefined && existing.vkey !== vkey ? existing.vkey : null;
    document.registries[name] = { url, vkey, pinnedAt: existing?.vkey === vkey ? existing.pinnedAt : formatTimestamp(Date.now()) };
    if (document.default === null || values['default'] === true) document.default = name;
    profiles.write(document);

    const isDefault = document.default === name;
    if (ui.json) {
      ui.printJson({ profile: name, url, default: isDefault, file: profiles.path, ...presented, ...(replaced !== null ? { replaced } : {}), compared: expected !== undefined });
      return EXIT.OK;
    }
    ui.print(`registry      ${url}`);
    ui.print(`origin        ${presented.origin}`);
    ui.print(`key id        ${presented.keyId}`);
    ui.print(`fingerprint   ${presented.fingerprint}`);
    ui.print(`vkey          ${vkey}`);
    if (replaced !== null) ui.print(`replaces      ${replaced}`);
    ui.ok(`pinned as profile "${name}"${isDefault ? ' (the default)' : ''} in ${profiles.path}`);
    ui.print(
      expected !== undefined
        ? `the key matches the expected ${expected}`
        : 'Compare the fingerprint with the one the registry\'s operator publishes, over a channel you trust: until you have, this key only says what the registry says about itself.',
    );
    return EXIT.OK;
  },
};
