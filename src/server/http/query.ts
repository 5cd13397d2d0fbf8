/** Query parameters are attacker-controlled: one value each, plain non-negative decimal integers or Peers ids. */
import type { Request } from 'express';
import { ProtocolError } from '../../protocol/errors.js';
import { isPeersId } from '../../protocol/ids.js';

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export function integerParam(req: Request, name: string, fallback?: number): number {
  const raw: unknown = req.query[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'string' || !DECIMAL.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new ProtocolError('MALFORMED', `query parameter ${name} must be one non-negative integer`);
  }
  return Number(raw);
}

/** An optional query parameter that is one Peers id (a list's position, e.g. a page's `next`), or `fallback`. */
export function peersIdParam(req: Request, name: string, fallback: string): string {
  const raw: unknown = req.query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !isPeersId(raw)) throw new ProtocolError('MALFORMED', `query parameter ${name} must be one Peers id`);
  return raw;
}

/** A named path parameter; Express guarantees it is present when the route matched. */
export function pathParam(req: Request, name: string): string {
  const value: unknown = req.params[name];
  if (typeof value !== 'string') throw new ProtocolError('MALFORMED', `path parameter ${name} is missing`);
  return value;
}
