// A page that looks a user up and verifies the answer (see docs/sdk.md, "In a browser"), bundled
// by your bundler of choice; '@peerkeys/sdk/lookup' leaves out the code that signs and seals.
import { LocalStorageStore, RegistryClient } from '@peerkeys/sdk/lookup';

const params = new URLSearchParams(location.search);
const registry = new RegistryClient({
  url: params.get('registry'),
  vkey: params.get('vkey'), // in a real page, a constant shipped with the page
  store: new LocalStorageStore(),
});
const output = document.querySelector('#result');
try {
  const identity = await registry.lookup(params.get('user'));
  output.textContent = `${identity.name ?? identity.userId}: ${identity.publicKey}`;
  output.dataset.status = 'verified';
} catch (error) {
  output.textContent = `not verified: ${error.code ?? error.message}`;
  output.dataset.status = 'failed';
}
