/**
 * The lookup page's script (bundled by src/build/bundle.ts into dist/assets/page.js, served as
 * /assets/page.js). The server renders the page's skeleton and the registry's key in
 * `<meta name="peerkeys-vkey">`; everything shown about an identity is verified here, in the
 * browser, with the SDK — against the key pinned in this browser, never the one presented.
 *
 * Routes: `/` (the search form) and `/u/{userId}` (the identity). The page only reads: it calls
 * the registry's public GET endpoints on its own origin and nothing else.
 */
import { isPeersId, LocalStorageStore, RegistryClient } from '../sdk/index.js';
import { parseVerifierKey } from '../protocol/checkpoint.js';
import { witnessPolicy } from '../protocol/cosignature.js';
import { checksFor, pendingChecks } from './checks.js';
import { byId } from './dom.js';
import { whyNotUserId } from './explain.js';
import { browserStorage, MemoryStorage, PinStore } from './pin.js';
import { renderPinPanel } from './render-pin.js';
import { renderIdle, renderInvalid, renderLoading, renderOutcome, type View } from './render-state.js';
import { revalidatingFetch, verifyIdentity, type Outcome } from './verify-identity.js';

type Route = { kind: 'home' } | { kind: 'user'; input: string };

function currentRoute(): Route {
  const match = /^\/u\/([^/]*)$/.exec(location.pathname);
  if (match === null) return { kind: 'home' };
  try {
    return { kind: 'user', input: decodeURIComponent(match[1]!) };
  } catch {
    return { kind: 'user', input: match[1]! };
  }
}

const isVerifierKey = (vkey: string): boolean => parseVerifierKey(vkey) !== null;

const view: View = { result: byId('result'), status: byId('status'), details: byId('details') };
const form = byId<HTMLFormElement>('search');
const input = byId<HTMLInputElement>('user-id');
const pinPanel = byId('pin-status');
const pinForm = byId<HTMLFormElement>('pin-form');
const pinInput = byId<HTMLTextAreaElement>('pin-input');
const pinMessage = byId('pin-message');

const storage = browserStorage();
const pins = new PinStore(storage ?? new MemoryStorage(), isVerifierKey);
const presented = document.querySelector('meta[name="peerkeys-vkey"]')?.getAttribute('content') ?? null;
/** The client's memory of checkpoints and heads lives next to the pin (same origin, same registry). */
const clientStore = new LocalStorageStore(storage ?? new MemoryStorage());

/** Increases with every run; an older run's late answers are dropped. */
let run = 0;

function markInput(invalid: boolean): void {
  input.setAttribute('aria-invalid', invalid ? 'true' : 'false');
  input.setAttribute('aria-describedby', invalid ? 'user-id-hint status-message' : 'user-id-hint');
}

async function show(route: Route): Promise<void> {
  const token = ++run;
  const pin = pins.check(presented, route.kind === 'user' && whyNotUserId(route.input) === null);
  renderPinPanel(pinPanel, pin, storage !== null);
  if (route.kind === 'home') {
    markInput(false);
    renderIdle(view);
    return;
  }
  input.value = route.input;
  const reason = whyNotUserId(route.input);
  markInput(reason !== null);
  if (reason !== null) {
    renderInvalid(view, route.input, reason);
    return;
  }
  const userId = route.input;
  const actions = { trustPresentedKey: () => repin(presented) };
  if (pin.kind !== 'first-use' && pin.kind !== 'match') {
    const outcome: Outcome = {
      kind: 'failed',
      code: pin.kind === 'changed' ? 'REGISTRY_KEY_CHANGED' : 'NO_REGISTRY_KEY',
      message: pin.kind === 'changed' ? `presented ${pin.presented ?? 'no key'}, pinned ${pin.pin.vkey}` : `presented ${pin.presented ?? 'no key'}, nothing pinned`,
      phase: 'pin',
      verified: { previous: null },
    };
    renderOutcome(view, userId, outcome, pin, checksFor(outcome, pin), actions);
    return;
  }

  const pending = pendingChecks(pin);
  renderLoading(view, userId, 'lookup', pending);
  const witnesses = pageWitnessPolicy();
  if (witnesses !== undefined && witnessPolicy(witnesses.vkeys, witnesses.quorum) === null) {
    // A witness policy in the address that is not one: refuse rather than look up without it.
    const message = 'the witness policy in the address is not valid: ?witness=<cosigner vkey> for each witness, and quorum from 1 to their number';
    const outcome: Outcome = { kind: 'failed', code: 'INSUFFICIENT_COSIGNATURES', message, phase: 'lookup', verified: { previous: null } };
    renderOutcome(view, userId, outcome, pin, checksFor(outcome, pin), actions);
    return;
  }
  const client = new RegistryClient({ url: location.origin, vkey: pin.pin.vkey, store: clientStore, fetch: revalidatingFetch, ...(witnesses !== undefined ? { witnesses } : {}) });
  const outcome = await verifyIdentity(client, userId, (phase) => {
    if (token === run) renderLoading(view, userId, phase, pending);
  });
  if (token !== run) return;
  renderOutcome(view, userId, outcome, pin, checksFor(outcome, pin), actions);
}

/**
 * A witness policy from the page's address (README, "Witnesses"): `?witness=<vkey>` once per
 * trusted witness and `&quorum=<k>` (default: all of them). None: no cosignatures required.
 */
function pageWitnessPolicy(): { vkeys: string[]; quorum: number } | undefined {
  const query = new URLSearchParams(location.search);
  const vkeys = query.getAll('witness');
  if (vkeys.length === 0) return undefined;
  const quorum = query.get('quorum');
  return { vkeys, quorum: quorum === null ? vkeys.length : /^[1-9][0-9]{0,2}$/.test(quorum) ? Number(quorum) : 0 };
}

function repin(vkey: string | null): void {
  if (vkey === null || !isVerifierKey(vkey)) return;
  pins.pin(vkey, 'by-hand');
  void show(currentRoute());
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = input.value.trim();
  const reason = whyNotUserId(value);
  if (reason !== null) {
    ++run; // a lookup still running for the previous id must not overwrite this
    markInput(true);
    renderInvalid(view, value, reason);
    input.focus();
    return;
  }
  // The witness policy in the address (?witness=…&quorum=…) goes with the next lookup.
  location.assign(`/u/${value}${location.search}`);
});

pinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = pinInput.value.trim();
  if (!isVerifierKey(value)) {
    pinInput.setAttribute('aria-invalid', 'true');
    pinMessage.textContent = 'That is not a registry key: expected <origin>+<8 hex digits>+<base64 key>, as GET /v1/registry shows it.';
    pinInput.focus();
    return;
  }
  pinInput.setAttribute('aria-invalid', 'false');
  pinInput.value = '';
  pinMessage.textContent = 'Pinned. This browser now verifies against the key you pasted.';
  pins.pin(value, 'by-hand');
  void show(currentRoute());
});

void show(currentRoute());
