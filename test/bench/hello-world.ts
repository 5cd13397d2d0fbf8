/**
 * The ceilings: a plain Express 5 app answering a small JSON body, run as its own process; with
 * `tuned` after the port, the same app served as the registry serves its own, its requests and
 * responses made with the app's prototypes (src/server/http/message-classes.ts).
 */
import http from 'node:http';
import express from 'express';
import { appMessageClasses } from '../../src/server/http/message-classes.js';

const app = express();
app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
// http.createServer(app) is what Express's app.listen does.
const server = process.argv[3] === 'tuned' ? http.createServer(appMessageClasses(app), app) : http.createServer(app);
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : ''}\n`);
});
