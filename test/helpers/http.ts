/** A thin fetch wrapper for driving the HTTP API in tests. */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function request<T = any>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export const api = (base: string) => ({
  get: <T = any>(path: string) => request<T>(base, 'GET', path),
  post: <T = any>(path: string, body: unknown, headers?: Record<string, string>) => request<T>(base, 'POST', path, body, headers),
  put: <T = any>(path: string, body: unknown, headers?: Record<string, string>) => request<T>(base, 'PUT', path, body, headers),
});
