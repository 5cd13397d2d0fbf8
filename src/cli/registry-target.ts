/**
 * Which registry a client command talks to and what it pinned: --registry, --vkey and --state,
 * with PEERKEYS_REGISTRY, PEERKEYS_VKEY and PEERKEYS_STATE as fallbacks. Lookups and receipts are
 * verified by the SDK's RegistryClient (Node's Ed25519), which keeps the last checkpoint and heads
 * it verified in the state file (a FileStore).
 */
import { join } from 'node:path';
import { parseVerifierKey } from '../protocol/checkpoint.js';
import { RegistryClient } from '../sdk/client.js';
import { FileStore } from '../sdk/node/file-store.js';
import { nodeVerify } from '../server/node-ed25519.js';
import { stringOption, UsageError, type Invocation } from './command.js';

export interface RegistryTarget {
  url: string;
  vkey: string;
}

export function registryTarget({ values, env }: Pick<Invocation, 'values' | 'env'>): RegistryTarget {
  const url = stringOption(values, 'registry') ?? env.registry;
  const vkey = stringOption(values, 'vkey') ?? env.vkey;
  if (url === undefined || url === '') throw new UsageError('which registry? Pass --registry <url> or set PEERKEYS_REGISTRY');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--registry "${url}" is not a URL (like https://keys.example.org)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--registry "${url}" is not an http or https URL`);
  if (vkey === undefined || vkey === '') {
    throw new UsageError("the registry's verifier key is needed: pass --vkey or set PEERKEYS_VKEY (the vkey its operator publishes; GET /v1/registry shows it, but a key fetched from the registry you are checking proves nothing)");
  }
  if (parseVerifierKey(vkey) === null) throw new UsageError(`--vkey "${vkey}" is not a C2SP Ed25519 verifier key (<origin>+<8 hex digits>+<base64 key>)`);
  return { url: url.replace(/\/+$/, ''), vkey };
}

export function statePath({ values, env }: Pick<Invocation, 'values' | 'env'>): string {
  return stringOption(values, 'state') ?? env.state ?? join(env.configDir, 'state.json');
}

export function registryClient(invocation: Invocation): RegistryClient {
  const target = registryTarget(invocation);
  return new RegistryClient({ url: target.url, vkey: target.vkey, store: new FileStore(statePath(invocation)), verify: nodeVerify });
}

export function keysPath({ values, env }: Invocation): string {
  return stringOption(values, 'keys') ?? env.keys ?? join(env.configDir, 'identity.json');
}
