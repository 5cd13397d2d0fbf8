/**
 * The result area's states: loading, verified, revoked, failed, not found, invalid input and
 * registry error. `#result` carries the state in `data-state`; `#status` (an aria-live region the
 * server renders empty) gets the one-line verdict, `#details` everything else.
 *
 * The verified mark (`.verified-mark`) is drawn in exactly one place, `renderOutcome`, for an
 * outcome of kind `verified` — which verify-identity.ts builds only after every SDK call resolved.
 */
import { checkpointTime, h, srOnly, time, type Child } from './dom.js';
import type { Check, Mark } from './checks.js';
import { explainRegistryError, explainVerification } from './explain.js';
import type { PinCheck } from './pin.js';
import { identitySections } from './render-identity.js';
import type { Outcome, Phase } from './verify-identity.js';

export type State = 'idle' | 'loading' | 'verified' | 'revoked' | 'failed' | 'not-found' | 'invalid' | 'registry-error';

export interface View {
  result: HTMLElement;
  status: HTMLElement;
  details: HTMLElement;
}

export interface Actions {
  /** Pin the key the registry presents now (after a change the user knows about). */
  trustPresentedKey(): void;
}

const MARKS: Record<Mark, { symbol: string; spoken: string }> = {
  passed: { symbol: '✓', spoken: 'passed' },
  failed: { symbol: '✗', spoken: 'failed' },
  pending: { symbol: '…', spoken: 'pending' },
  'not-checked': { symbol: '–', spoken: 'not checked' },
  note: { symbol: 'i', spoken: 'note' },
};

const BANNER_MARKS: Record<Exclude<State, 'idle'>, { symbol: string; className: string }> = {
  loading: { symbol: '…', className: 'banner-mark' },
  verified: { symbol: '✓', className: 'banner-mark verified-mark' },
  revoked: { symbol: '!', className: 'banner-mark' },
  failed: { symbol: '✗', className: 'banner-mark' },
  'not-found': { symbol: '?', className: 'banner-mark' },
  invalid: { symbol: '!', className: 'banner-mark' },
  'registry-error': { symbol: '!', className: 'banner-mark' },
};

function setState(view: View, state: State, title: string, message: Child[], extra: Child[] = []): void {
  view.result.hidden = state === 'idle';
  view.result.dataset['state'] = state;
  view.result.setAttribute('aria-busy', state === 'loading' ? 'true' : 'false');
  if (state === 'idle') {
    view.status.replaceChildren();
    return;
  }
  const mark = BANNER_MARKS[state];
  view.status.replaceChildren(
    h(
      'div',
      { class: 'banner' },
      h('span', { class: mark.className, 'aria-hidden': 'true' }, mark.symbol),
      h('div', { class: 'banner-text' }, h('h2', { id: 'status-title' }, title), h('p', { id: 'status-message' }, ...message), ...extra),
    ),
  );
}

export function checksList(checks: Check[]): HTMLElement {
  return h(
    'section',
    { class: 'card checks', 'aria-labelledby': 'checks-title' },
    h('h2', { id: 'checks-title' }, 'What this browser checked'),
    h(
      'ul',
      { class: 'checks-list' },
      checks.map((c) =>
        h(
          'li',
          { class: `check check-${c.mark}`, 'data-check': c.id, 'data-mark': c.mark },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, MARKS[c.mark].symbol),
          h('div', {}, h('strong', {}, c.title), srOnly(`: ${MARKS[c.mark].spoken}.`), h('p', {}, c.detail)),
        ),
      ),
    ),
  );
}

function code(value: string): HTMLElement {
  return h('p', { class: 'code' }, 'Code: ', h('code', { 'data-code': value }, value));
}

export function renderIdle(view: View): void {
  setState(view, 'idle', '', []);
  view.details.replaceChildren();
  document.title = 'Key lookup · peerkeys';
}

const PHASE_TEXT: Record<Phase, string> = {
  lookup: 'Fetching the identity and checking its chain, log proof and checkpoint…',
  history: 'Checking the audit history…',
  devices: 'Checking the devices…',
  'cross-check': 'Comparing the chain with the audit history…',
};

export function renderLoading(view: View, userId: string, phase: Phase, checks: Check[]): void {
  setState(view, 'loading', 'Verifying…', [PHASE_TEXT[phase]], [h('p', { class: 'subtle' }, 'User id ', h('code', {}, userId))]);
  view.details.replaceChildren(checksList(checks));
  document.title = `Verifying ${userId} · peerkeys`;
}

export function renderInvalid(view: View, input: string, reason: string): void {
  const shown = input.length > 60 ? `${input.slice(0, 60)}…` : input;
  setState(view, 'invalid', 'Invalid input', [reason], input === '' ? [] : [h('p', { class: 'subtle' }, 'You entered ', h('code', {}, shown))]);
  view.details.replaceChildren();
  document.title = 'Invalid input · peerkeys';
}

/** For a changed registry key: both keys side by side, and the explicit way to re-pin. */
function keyChangedDetails(pin: PinCheck): HTMLElement[] {
  if (pin.kind !== 'changed') return [];
  return [
    h(
      'section',
      { class: 'card key-change', 'aria-labelledby': 'key-change-title' },
      h('h2', { id: 'key-change-title' }, 'Which key?'),
      h(
        'dl',
        { class: 'facts' },
        h('div', {}, h('dt', {}, 'Pinned in this browser'), h('dd', {}, h('code', { class: 'vkey' }, pin.pin.vkey))),
        h('div', {}, h('dt', {}, 'Presented now'), h('dd', {}, pin.presented === null ? 'no valid key' : h('code', { class: 'vkey' }, pin.presented))),
      ),
      pin.presented === null
        ? null
        : h(
            'p',
            { class: 'repin' },
            h('button', { type: 'button', id: 'trust-presented', class: 'secondary' }, 'Trust the new key'),
            ' only if you know the registry changed its key — for example, its operator told you so.',
          ),
    ),
  ];
}

/** How fresh a verified answer is: the time of the checkpoint whose key map proved it. */
function freshness(text: string, checkpointMs: number): HTMLElement {
  return h('p', { class: 'subtle freshness', id: 'freshness' }, text, checkpointTime(checkpointMs), '.');
}

export function renderOutcome(view: View, userId: string, outcome: Outcome, pin: PinCheck, checks: Check[], actions: Actions): void {
  switch (outcome.kind) {
    case 'verified': {
      const { identity } = outcome.report;
      const who = identity.name ?? userId;
      const fresh = freshness('Newest record as of the checkpoint of ', identity.checkpoint.time);
      if (identity.status === 'revoked') {
        setState(view, 'revoked', 'Revoked identity', ['Verified: this identity was revoked by its owner. Do not trust these keys for anything new.'], [
          h('p', { class: 'subtle' }, 'Revocation accepted ', time(identity.head.acceptedAt)),
          fresh,
        ]);
        document.title = `Revoked: ${who} · peerkeys`;
      } else {
        const noted = checks.some((c) => c.mark === 'note');
        setState(
          view,
          'verified',
          'Verified in this browser',
          [noted ? 'Every check below passed (mind the notes marked “i”): ' : 'Every check below passed: ', 'these are the keys this registry’s public log holds for this id.'],
          [fresh],
        );
        document.title = `Verified: ${who} · peerkeys`;
      }
      view.details.replaceChildren(...identitySections(outcome.report, checksList(checks)));
      return;
    }
    case 'failed': {
      const title = outcome.code === 'REGISTRY_KEY_CHANGED' ? 'Verification failed: registry key changed' : 'Verification failed';
      setState(view, 'failed', title, [explainVerification(outcome.code), ' Do not use any key this page was shown for this id.'], [
        code(outcome.code),
        h('details', { class: 'technical' }, h('summary', {}, 'Technical detail'), h('p', {}, outcome.message)),
      ]);
      view.details.replaceChildren(...keyChangedDetails(pin), checksList(checks));
      document.getElementById('trust-presented')?.addEventListener('click', () => actions.trustPresentedKey());
      document.title = `Verification failed · peerkeys`;
      return;
    }
    case 'not-found':
      setState(view, 'not-found', 'Not found', [
        'No identity with this id, proven absent as of the checkpoint of ',
        checkpointTime(outcome.checkpoint.time),
        ': the registry’s key map, signed with its log, has no entry for it (absence proof verified in this browser). Someone may register it later.',
      ], [h('p', { class: 'subtle' }, 'User id ', h('code', {}, userId)), h('p', { class: 'subtle' }, `Checkpoint of ${outcome.checkpoint.size} entries.`)]);
      view.details.replaceChildren();
      document.title = 'Not found · peerkeys';
      return;
    case 'registry-error':
      setState(view, 'registry-error', 'Registry error', [explainRegistryError(outcome.status, outcome.code), ' Nothing was verified.'], [
        code(outcome.status === 0 ? outcome.code : `${outcome.status} ${outcome.code}`),
        h('details', { class: 'technical' }, h('summary', {}, 'Technical detail'), h('p', {}, outcome.message)),
      ]);
      view.details.replaceChildren();
      document.title = 'Registry error · peerkeys';
      return;
  }
}
