/**
 * Cache-Control per DESIGN.md §9: immutable answers (entries by index, proofs between fixed sizes)
 * may be cached by any HTTP cache for a year; mutable ones (latest checkpoint, lookups) briefly.
 * Express adds ETags to every body it sends.
 */
import type { Response } from 'express';

export function cacheImmutable(res: Response): void {
  res.set('Cache-Control', 'public, max-age=31536000, immutable');
}

export function cacheBriefly(res: Response, seconds = 5): void {
  res.set('Cache-Control', `public, max-age=${seconds}`);
}

export function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
}
