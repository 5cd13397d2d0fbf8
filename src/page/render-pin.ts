/** The "Registry key" panel: which key this browser verifies against, and since when. */
import { h, time } from './dom.js';
import type { PinCheck } from './pin.js';

export function renderPinPanel(container: HTMLElement, pin: PinCheck, persistent: boolean): void {
  const rows: HTMLElement[] = [];
  if (pin.kind === 'no-key' || (pin.kind === 'unpinned' && pin.presented === null)) {
    rows.push(h('p', {}, 'No key is pinned, and the registry presents none. Paste the key you expect below.'));
  } else if (pin.kind === 'unpinned') {
    rows.push(
      h(
        'dl',
        { class: 'facts' },
        h('div', {}, h('dt', {}, 'The registry presents'), h('dd', {}, h('code', { class: 'vkey', id: 'presented-vkey' }, pin.presented))),
        h('div', {}, h('dt', {}, 'Pinned key'), h('dd', { id: 'pinned-how' }, 'none yet: this browser pins the key above when you first look someone up')),
      ),
    );
  } else {
    const { vkey, pinnedAt, source } = pin.pin;
    rows.push(
      h(
        'dl',
        { class: 'facts' },
        h('div', {}, h('dt', {}, 'Pinned key'), h('dd', {}, h('code', { class: 'vkey', id: 'pinned-vkey' }, vkey))),
        h(
          'div',
          {},
          h('dt', {}, 'Pinned'),
          h('dd', { id: 'pinned-how' }, pin.kind === 'first-use' ? 'just now, on this first visit (trust on first use)' : source === 'by-hand' ? ['by you, ', time(pinnedAt)] : ['on first use, ', time(pinnedAt)]),
        ),
        h(
          'div',
          {},
          h('dt', {}, 'The registry presents'),
          h('dd', {}, pin.kind === 'changed' ? (pin.presented === null ? 'no valid key' : [h('strong', {}, 'a different key: '), h('code', { class: 'vkey' }, pin.presented)]) : 'the same key'),
        ),
      ),
    );
  }
  if (!persistent) rows.push(h('p', { class: 'warning' }, 'This browser does not let the page store anything, so the pin lasts only until you close the page: every visit is a first use.'));
  container.replaceChildren(...rows);
}
