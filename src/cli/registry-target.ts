/**
 * Which registry a client command talks to and which key it pinned for it.
 *
 * The registry: --registry (a URL, or a profile saved by `peerkeys pin`), else $PEERKEYS_REGISTRY
 * (the same), else the default profile. Its vkey: --vkey when given; else, when the registry was
 * named by a profile, the vkey pinned in it; else $PEERKEYS_VKEY; else the vkey of a profile
 * pinned for that URL. A profile is a URL and a key together, so naming one never mixes its URL
 * with a key from elsewhere unless --vkey says so.
 *
 * Lookups and receipts are verified by the SDK's RegistryClient (Node's Ed25519), which keeps what
 * it verified in the state file, in the section of the log it pinned (log-state.ts).
 */
import { join } from 'node:path';
import { parseVerifierKey, type NoteKey } from '../protocol/checkpoint.js';
import { parseCosignerKey, witnessPolicy } from '../protocol/cosignature.js';
import { RegistryClient } from '../sdk/client.js';
import { nodeVerify } from '../node/node-ed25519.js';
import { DEFAULT_COSIGNED_WAIT_MS, type WitnessOptions } from '../sdk/client/witness-policy.js';
import { parseDuration, stringOption, UsageError, type Invocation } from './command.js';
import { StateFile } from './log-state.js';
import { isProfileName, RegistryProfiles } from './registry-profiles.js';

export interface RegistryTarget {
  url: string;
  vkey: string;
  key: NoteKey;
  /** Where the URL came from, and the vkey: for messages ("--vkey", "$PEERKEYS_VKEY", "profile local"). */
  urlSource: string;
  vkeySource: string;
  /** The profile the registry was named by, if any. */
  profile: string | null;
}

type TargetInput = Pick<Invocation, 'values' | 'env'>;

function checkedUrl(url: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${source} "${url}" is neither a URL (like https://keys.example.org) nor a pinned profile (\`peerkeys pin --list\` shows them)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${source} "${url}" is not an http or https URL`);
  return url.replace(/\/+$/, '');
}

export function registryTarget({ values, env }: TargetInput): RegistryTarget {
  const profiles = new RegistryProfiles(env.configDir);
  const named = stringOption(values, 'registry') ?? env.registry;
  const namedSource = stringOption(values, 'registry') !== undefined ? '--registry' : '$PEERKEYS_REGISTRY';
  let url: string;
  let urlSource: string;
  let profile: string | null = null;
  let profileVkey: string | null = null;
  if (named === undefined || named === '') {
    const fallback = profiles.defaultProfile();
    if (fallback === null) {
      throw new UsageError('which registry? Pass --registry <url|profile>, set PEERKEYS_REGISTRY, or pin one with `peerkeys pin <url>` (it becomes the default)', 'NO_REGISTRY');
    }
    ({ url, vkey: profileVkey } = fallback);
    profile = fallback.name;
    urlSource = `default profile "${fallback.name}"`;
  } else if (isProfileName(named) && profiles.get(named) !== null) {
    ({ url, vkey: profileVkey } = profiles.get(named)!);
    profile = named;
    urlSource = `profile "${named}"`;
  } else {
    url = checkedUrl(named, namedSource);
    urlSource = namedSource;
  }

  const flag = stringOption(values, 'vkey');
  const pinnedForUrl = profile === null ? profiles.forUrl(url) : null;
  const [vkey, vkeySource] =
    flag !== undefined
      ? [flag, '--vkey']
      : profileVkey !== null
        ? [profileVkey, urlSource]
        : env.vkey !== undefined
          ? [env.vkey, '$PEERKEYS_VKEY']
          : pinnedForUrl !== null
            ? [pinnedForUrl.vkey, `profile "${pinnedForUrl.name}"`]
            : [undefined, ''];
  if (vkey === undefined || vkey === '') {
    throw new UsageError(
      `the registry's verifier key is needed: \`peerkeys pin ${url}\` shows it for you to compare and pins it, or pass --vkey or set PEERKEYS_VKEY ` +
        '(the vkey its operator publishes: a key fetched from the registry you are checking proves nothing until you have compared it)',
      'NO_VKEY',
    );
  }
  const key = parseVerifierKey(vkey);
  if (key === null) throw new UsageError(`${vkeySource} "${vkey}" is not a C2SP Ed25519 verifier key (<origin>+<8 hex digits>+<base64 key>)`, 'BAD_VKEY');
  return { url: checkedUrl(url, urlSource), vkey, key, urlSource, vkeySource, profile };
}

export function statePath({ values, env }: TargetInput): string {
  return stringOption(values, 'state') ?? env.state ?? join(env.configDir, 'state.json');
}

/** The SDK store for the pinned log's section of the state file. */
export function logStore(invocation: TargetInput, target: RegistryTarget) {
  return new StateFile(statePath(invocation)).store(target.vkey);
}

export function registryClient(invocation: TargetInput): RegistryClient {
  const target = registryTarget(invocation);
  const witnesses = witnessOptions(invocation);
  return new RegistryClient({ url: target.url, vkey: target.vkey, store: logStore(invocation, target), verify: nodeVerify, ...(witnesses !== undefined ? { witnesses } : {}) });
}

/**
 * The witness policy: --witness (repeated) or $PEERKEYS_WITNESSES, --witness-quorum or
 * $PEERKEYS_WITNESS_QUORUM (default: all), and --witness-wait or $PEERKEYS_WITNESS_WAIT (default:
 * the SDK's, 5 s).
 */
export function witnessOptions({ values, env }: TargetInput): WitnessOptions | undefined {
  const flags = values['witness'];
  const vkeys = Array.isArray(flags) && flags.length > 0 ? flags.map(String) : (env.witnesses ?? '').split(/[\s,]+/).filter((v) => v !== '');
  const quorumText = stringOption(values, 'witness-quorum') ?? env.witnessQuorum;
  const waitFlag = stringOption(values, 'witness-wait');
  const [waitText, waitSource] = waitFlag !== undefined ? [waitFlag, '--witness-wait'] : [env.witnessWait, '$PEERKEYS_WITNESS_WAIT'];
  if (vkeys.length === 0) {
    if (quorumText !== undefined) throw new UsageError('--witness-quorum needs the witnesses it counts: --witness <vkey> (or $PEERKEYS_WITNESSES)');
    if (waitText !== undefined) throw new UsageError(`${waitSource} needs the witnesses whose cosignatures it waits for: --witness <vkey> (or $PEERKEYS_WITNESSES)`);
    return undefined;
  }
  const quorum = quorumText === undefined ? vkeys.length : Number(quorumText);
  const bad = vkeys.find((vkey) => parseCosignerKey(vkey) === null);
  if (bad !== undefined) throw new UsageError(`--witness "${bad}" is not a witness's cosigner vkey (<name>+<8 hex digits>+<base64 of 0x04 and the key>)`, 'BAD_VKEY');
  if (quorumText !== undefined && !/^[1-9][0-9]*$/.test(quorumText)) throw new UsageError(`--witness-quorum takes a whole number from 1, not "${quorumText}"`);
  if (witnessPolicy(vkeys, quorum) === null) throw new UsageError(`--witness-quorum ${quorum} needs ${quorum} distinct witnesses; ${vkeys.length} given`);
  const waitMs = waitText === undefined ? DEFAULT_COSIGNED_WAIT_MS : parseDuration(waitText, waitSource, { allowZero: true });
  return { vkeys, quorum, waitMs };
}

export function keysPath({ values, env }: TargetInput): string {
  return stringOption(values, 'keys') ?? env.keys ?? join(env.configDir, 'identity.json');
}
