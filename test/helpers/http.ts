/**
 * Drives the HTTP API in tests through supertest: `api(registry.app)` calls the Express app with
 * no port of the test's own (route-level tests), `api(url)` a server that listens (a mirror, a
 * proxy, a registry the SDK or a browser also talks to). Bodies are sent exactly as given (a
 * string or bytes untouched, anything else as JSON); the answer's bytes are kept as `text`, and
 * parsed as `body` when the content type says JSON.
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import supertest from 'supertest';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  /** The body's bytes as received (binary answers: tiles). */
  bytes: Buffer;
}

/**
 * An Express app (called through supertest, no port), a server, or a base URL; or a function
 * giving one, read at each request (a registry that a beforeAll hook has yet to start).
 */
export type Target = Express | Server | string | (() => Express | Server | string);

type Method = 'get' | 'post' | 'put' | 'delete' | 'head' | 'options' | 'patch';

/** Collects the raw bytes, whatever the content type: superagent would otherwise parse some and drop others. */
function rawBody(response: unknown, done: (error: Error | null, body: Buffer) => void): void {
  // In Node, superagent hands parsers the response stream itself.
  const res = response as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
  res.on('error', (error: Error) => done(error, Buffer.alloc(0)));
}

export async function request<T = any>(target: Target, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const resolved = typeof target === 'function' && !('handle' in target) ? (target as () => Express | Server | string)() : target;
  const agent = supertest(resolved as Parameters<typeof supertest>[0]);
  let test = agent[method.toLowerCase() as Method](path).buffer(true).parse(rawBody);
  for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
  if (body !== undefined) {
    const hasType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    if (!hasType) test = test.set('content-type', 'application/json');
    const bytes = typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body);
    // The bytes go out as they are: superagent would otherwise JSON-encode a Buffer sent as JSON.
    test = test.serialize((data: unknown) => data as string).send(bytes);
  }
  const res = await test;
  const raw: Buffer = Buffer.isBuffer(res.body) ? res.body : Buffer.alloc(0);
  const text = raw.toString('utf8');
  const replyHeaders = new Headers();
  for (const [name, value] of Object.entries(res.headers as Record<string, string | string[] | undefined>)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) replyHeaders.append(name, one);
  }
  let parsed: unknown = text;
  if ((replyHeaders.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
  return { status: res.status, headers: replyHeaders, body: parsed as T, text, bytes: raw };
}

export type Client = ReturnType<typeof api>;

export const api = (target: Target) => ({
  get: <T = any>(path: string, headers?: Record<string, string>) => request<T>(target, 'GET', path, undefined, headers),
  post: <T = any>(path: string, body: unknown, headers?: Record<string, string>) => request<T>(target, 'POST', path, body, headers),
  put: <T = any>(path: string, body: unknown, headers?: Record<string, string>) => request<T>(target, 'PUT', path, body, headers),
});
