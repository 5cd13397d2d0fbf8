/** The shared record vectors (test/vectors/{valid,invalid}/*.json, see make-record-vectors.ts). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordVector {
  name: string;
  description: string;
  entries: Array<{ acceptedAt: string; record: Record<string, unknown> & { type: string; seq: number } }>;
  /** Invalid vectors: the entry refused, and the code it is refused with. */
  expect?: { index: number; code: string };
}

const DIR = new URL('../vectors', import.meta.url).pathname;

export function recordVectors(kind: 'valid' | 'invalid'): RecordVector[] {
  return readdirSync(join(DIR, kind))
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ name: `${kind}/${file.slice(0, -'.json'.length)}`, ...(JSON.parse(readFileSync(join(DIR, kind, file), 'utf8')) as Omit<RecordVector, 'name'>) }));
}
