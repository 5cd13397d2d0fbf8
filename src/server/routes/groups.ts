/** /v1/groups, and /v1/users/{userId}/groups: group records and lookups (DESIGN.md §4, §6). */
import { Router } from 'express';
import type { GroupService } from '../group/group-service.js';
import { jsonBody } from '../http/body.js';
import { cacheBriefly, noStore, sendJson } from '../http/caching.js';
import { integerParam, pathParam, peersIdParam } from '../http/query.js';
import type { RateLimiters } from '../http/rate-limits.js';

export function groupsRouter(groups: GroupService, limits: RateLimiters): Router {
  const router = Router();

  router.post('/v1/groups', ...limits.ipWrites, ...jsonBody, ...limits.groupWrites, async (req, res) => {
    const result = await groups.register(req.body);
    noStore(res);
    res.status(201).location(`/v1/groups/${(req.body as { groupId: string }).groupId}`).json(result);
  });

  router.post('/v1/groups/:groupId', ...limits.ipWrites, ...jsonBody, ...limits.groupWrites, async (req, res) => {
    const result = await groups.submit(pathParam(req, 'groupId'), req.body);
    noStore(res);
    res.json(result);
  });

  router.get('/v1/groups/:groupId', ...limits.ipReads, async (req, res) => {
    sendJson(res, await groups.lookupJson(pathParam(req, 'groupId'), integerParam(req, 'start', 0)));
  });

  router.get('/v1/users/:userId/groups', ...limits.ipReads, async (req, res) => {
    const list = await groups.groupsOfJson(pathParam(req, 'userId'), peersIdParam(req, 'start', ''));
    cacheBriefly(res);
    res.type('application/json').send(list);
  });

  return router;
}
