// The security headers are written by one middleware from a set computed once (security.ts): every
// kind of response must still carry exactly what helmet itself writes with the same options.
import express from 'express';
import helmet from 'helmet';
import { describe, expect, it } from '@jest/globals';
import { securityHeaderOptions, securityHeaders } from '../../src/server/http/security.js';
import { request, type Reply } from '../helpers/http.js';
import { newIdentity } from '../helpers/identities.js';
import { useTestRegistry } from '../helpers/registry.js';

/** An app answering an empty body, with or without helmet: the difference is what helmet does. */
function bareApp(middleware?: express.RequestHandler): express.Express {
  const app = express();
  if (middleware !== undefined) app.use(middleware);
  app.use((_req, res) => void res.end());
  return app;
}

/** The headers helmet sets, changes or removes, with the values it gives them (undefined: removed). */
async function helmetHeaders(hsts: boolean): Promise<Record<string, string | undefined>> {
  const bare = (await request(bareApp(), 'GET', '/')).headers;
  const helmeted = (await request(bareApp(helmet(securityHeaderOptions({ hsts }))), 'GET', '/')).headers;
  const names = new Set([...bare.keys(), ...helmeted.keys()].filter((name) => name !== 'date' && bare.get(name) !== helmeted.get(name)));
  return Object.fromEntries([...names].map((name) => [name, helmeted.get(name) ?? undefined]));
}

function pick(reply: Reply, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, reply.headers.get(name) ?? undefined]));
}

describe('securityHeaders', () => {
  it.each([true, false])('writes what helmet writes (HSTS %s)', async (hsts) => {
    const expected = await helmetHeaders(hsts);
    expect(Object.keys(expected)).toContain('content-security-policy');
    expect(Object.keys(expected).includes('strict-transport-security')).toBe(hsts);
    const reply = await request(bareApp(securityHeaders({ hsts })), 'GET', '/');
    expect(pick(reply, Object.keys(expected))).toEqual(expected);
  });
});

describe("the registry's responses", () => {
  // Behind https, so HSTS is among the headers too.
  const registry = useTestRegistry({ env: { PUBLIC_URL: 'https://keys.example' } });

  it('carry exactly helmet\'s headers on JSON, problems, the lookup page, docs, assets and preflights', async () => {
    const expected = await helmetHeaders(true);
    expect(Object.keys(expected)).toContain('strict-transport-security');
    const alice = await newIdentity();
    expect((await registry.api.post('/v1/users', alice.head)).status).toBe(201);
    const replies: Array<[string, Reply]> = [
      ['lookup', await registry.api.get(`/v1/users/${alice.userId}`)],
      ['problem', await registry.api.get('/v1/users/0000000000zzzzzzzzzzzzzzz')],
      ['write', await registry.api.post('/v1/users', { not: 'a record' })],
      ['lookup page', await registry.api.get(`/u/${alice.userId}`)],
      ['home page', await registry.api.get('/')],
      ['docs', await registry.api.get('/docs')],
      ['docs stylesheet', await registry.api.get('/docs/docs.css')],
      ['not found', await registry.api.get('/nowhere')],
      ['preflight', await request(registry.app, 'OPTIONS', '/v1/users', undefined, { origin: 'https://app.example', 'access-control-request-method': 'POST' })],
    ];
    for (const [what, reply] of replies) expect({ what, headers: pick(reply, Object.keys(expected)) }).toEqual({ what, headers: expected });
    expect(replies.map(([what, reply]) => [what, reply.status])).toEqual([
      ['lookup', 200],
      ['problem', 404],
      ['write', 400],
      ['lookup page', 200],
      ['home page', 200],
      ['docs', 200],
      ['docs stylesheet', 200],
      ['not found', 404],
      ['preflight', 204],
    ]);
  });
});
