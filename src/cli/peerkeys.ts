#!/usr/bin/env node
/** The `peerkeys` executable (package.json "bin"). */
import { main } from './main.js';

await main(process.argv.slice(2));
