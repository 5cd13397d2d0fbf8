/** Query parameters are attacker-controlled: one value each, plain non-negative decimal integers. */
import type { Request } from 'express';
import { ProtocolError } from '../../protocol/errors.js';

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export function integerParam(req: Request, name: string, fallback?: number): number {
  const raw: unknown = req.query[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'string' || !DECIMAL.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new ProtocolError('MALFORMED', `query parameter ${name} must be one non-negative integer`);
  }
  return Number(raw);
}

/** A named path parameter; Express guarantees it is present when the route matched. */
export function pathParam(req: Request, name: string): string {
  const value: unknown = req.params[name];
  if (typeof value !== 'string') throw new ProtocolError('MALFORMED', `path parameter ${name} is missing`);
  return value;
}
