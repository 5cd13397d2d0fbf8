/**
 * An HTTP proxy between a client and a registry that can rewrite answers: the "lying registry" of
 * the SDK tests. `tamper` sees each upstream answer (parsed JSON, bytes for binary answers such
 * as tiles, or text) and returns what the client gets; `upstream` can be switched to another registry mid-test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface TamperingProxy {
  url: string;
  upstream: string;
  tamper: ((exchange: Exchange) => unknown) | null;
  close(): Promise<void>;
}

export async function startTamperingProxy(upstream: string): Promise<TamperingProxy> {
  const proxy: TamperingProxy = { url: '', upstream, tamper: null, close: async () => {} };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const answer = await fetch(proxy.upstream + req.url, {
      method: req.method!,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
      ...(body.length > 0 ? { body } : {}),
    });
    const raw = Buffer.from(await answer.arrayBuffer());
    const type = answer.headers.get('content-type') ?? 'text/plain';
    let value: unknown = type.includes('json') ? JSON.parse(raw.toString('utf8')) : type.includes('octet-stream') ? raw : raw.toString('utf8');
    const exchange: Exchange = { method: req.method!, path: req.url!, status: answer.status, body: value };
    if (proxy.tamper !== null) value = proxy.tamper(exchange);
    // Pass the registry's headers on (CORS for browsers among them), but not framing ones.
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'etag'].includes(name)) headers[name] = value;
    });
    res.writeHead(exchange.status, headers);
    res.end(typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()));
  return proxy;
}
