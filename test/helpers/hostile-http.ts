/** Assertions for refusals over HTTP: problem+json with a known code, and the log size around them. */
import { expect } from '@jest/globals';
import { ERROR_STATUS } from '../../src/protocol/errors.js';
import type { Reply, api } from './http.js';
import { expectWith } from './expect-with.js';

export type Client = ReturnType<typeof api>;

/** The tree size of the latest checkpoint: the note's second line (DESIGN.md §5). */
export async function logSize(client: Client): Promise<number> {
  const reply = await client.get('/v1/log/checkpoint');
  expect(reply.status).toBe(200);
  const line = reply.text.split('\n')[1] ?? '';
  expect(line).toMatch(/^(0|[1-9][0-9]*)$/);
  return Number(line);
}

/** A refusal as DESIGN.md §6 has it: this status and code, as application/problem+json. */
export function expectProblem(reply: Reply, status: number, code: string, context = ''): void {
  const seen = `${context} → ${reply.status} ${reply.text.slice(0, 300)}`;
  expectWith(reply.status, seen).toBe(status);
  expectWith(reply.headers.get('content-type') ?? '', seen).toMatch(/^application\/problem\+json/);
  expectWith(reply.body?.code, seen).toBe(code);
  expectWith(reply.body?.status, seen).toBe(status);
}

/** Any 4xx refusal with a stable code whose status is the one the wire contract gives that code. */
export function expectSomeClientProblem(reply: Reply, context = ''): void {
  const seen = `${context} → ${reply.status} ${reply.text.slice(0, 300)}`;
  expectWith(reply.status, seen).toBeGreaterThanOrEqual(400);
  expectWith(reply.status, seen).toBeLessThan(500);
  expectWith(reply.headers.get('content-type') ?? '', seen).toMatch(/^application\/problem\+json/);
  const code = reply.body?.code as string | undefined;
  expectWith(Object.keys(ERROR_STATUS), seen).toContain(code);
  expectWith(ERROR_STATUS[code as keyof typeof ERROR_STATUS], seen).toBe(reply.status);
}
