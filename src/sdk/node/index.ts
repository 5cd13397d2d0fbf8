/** Node-only additions to the SDK (`import { FileStore } from '@peerkeys/sdk/node'`). */
export { FileStore } from './file-store.js';
