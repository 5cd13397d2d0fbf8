/** /v1/users: identity records, lookups, audit histories and device records (DESIGN.md §6). */
import { Router } from 'express';
import type { DeviceService } from '../devices/device-service.js';
import type { IdentityService } from '../identity/identity-service.js';
import { jsonBody } from '../http/body.js';
import { cacheBriefly, noStore, sendJson } from '../http/caching.js';
import { integerParam, pathParam, peersIdParam } from '../http/query.js';
import type { RateLimiters } from '../http/rate-limits.js';

export function usersRouter(identities: IdentityService, devices: DeviceService, limits: RateLimiters): Router {
  const router = Router();

  // Lookups first: a request is tried against each route in turn, and lookups are most of them.
  router.get('/v1/users/:userId', ...limits.ipReads, async (req, res) => {
    sendJson(res, await identities.lookupJson(pathParam(req, 'userId'), integerParam(req, 'start', 0)));
  });

  router.post('/v1/users', ...limits.ipWrites, ...jsonBody, ...limits.userWrites, async (req, res) => {
    const result = await identities.register(req.body);
    noStore(res);
    res.status(201).location(`/v1/users/${(req.body as { userId: string }).userId}`).json(result);
  });

  router.post('/v1/users/:userId', ...limits.ipWrites, ...jsonBody, ...limits.userWrites, async (req, res) => {
    const result = await identities.submit(pathParam(req, 'userId'), req.body);
    noStore(res);
    res.json(result);
  });

  router.get('/v1/users/:userId/log', ...limits.ipReads, async (req, res) => {
    const history = await identities.historyJson(pathParam(req, 'userId'), integerParam(req, 'start', 0));
    cacheBriefly(res);
    res.type('application/json').send(history);
  });

  router.put('/v1/users/:userId/devices/:deviceId', ...limits.ipWrites, ...jsonBody, ...limits.deviceWrites, async (req, res) => {
    const record = await devices.put(pathParam(req, 'userId'), pathParam(req, 'deviceId'), req.body);
    noStore(res);
    res.json(record);
  });

  router.get('/v1/users/:userId/devices', ...limits.ipReads, async (req, res) => {
    const list = await devices.listJson(pathParam(req, 'userId'), peersIdParam(req, 'start', ''));
    cacheBriefly(res);
    res.type('application/json').send(list);
  });

  return router;
}
