/** `npm start`: the registry, exactly as `peerkeys serve`. */
import { main } from './cli/main.js';

await main(['serve', ...process.argv.slice(2)]);
