// Looking a user up from CommonJS (see docs/sdk.md):
//   npm install @peerkeys/sdk
//   node sdk-lookup.cjs https://keys.example.org <userId>
const { RegistryClient, VerificationError } = require('@peerkeys/sdk');
const { FileStore } = require('@peerkeys/sdk/node');

async function main() {
  const [url, userId] = process.argv.slice(2);
  const { vkey } = await (await fetch(`${url}/v1/registry`)).json(); // ship the vkey with your app instead
  const registry = new RegistryClient({ url, vkey, store: new FileStore('./peerkeys-client.json') });
  const identity = await registry.lookup(userId);
  console.log(`${identity.userId}: signing key ${identity.publicKey}, box key ${identity.publicBoxKey} (${identity.idBinding})`);
}

main().catch((error) => {
  console.error(error instanceof VerificationError ? `not verified (${error.code}): ${error.message}` : error);
  process.exitCode = 1;
});
