// The server's request and response classes (src/server/http/message-classes.ts): Node makes each
// request and response with the app's prototypes already, before Express runs, and they still
// work as Node's and Express's own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { appMessageClasses } from '../../src/server/http/message-classes.js';

describe('appMessageClasses', () => {
  it('makes requests and responses with the app’s prototypes, which Express then leaves as they are', async () => {
    const app = express();
    app.get('/echo/:id', (req, res) => {
      res.set('X-Seen', String(req.ip)).json({ id: req.params['id'], query: req.query['q'], app: req.app === app });
    });
    const server = http.createServer({ ...appMessageClasses(app) }, app);
    const atArrival: Array<[unknown, unknown, boolean, boolean]> = [];
    // Before Express's own listener: what Node made.
    server.prependListener('request', (req, res) => {
      atArrival.push([Object.getPrototypeOf(req), Object.getPrototypeOf(res), req instanceof http.IncomingMessage, res instanceof http.ServerResponse]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      for (const id of ['a', 'b']) {
        const answer = await fetch(`http://127.0.0.1:${port}/echo/${id}?q=${id}${id}`);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('x-seen')).toBe('127.0.0.1');
        expect(await answer.json()).toEqual({ id, query: `${id}${id}`, app: true });
      }
      expect(atArrival).toEqual([
        [app.request, app.response, true, true],
        [app.request, app.response, true, true],
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
