/** The registry, exactly as `peerkeys serve`: what `npm start` runs, in a process of its own (start.ts). */
import { main } from './cli/main.js';

await main(['serve', ...process.argv.slice(2)]);
