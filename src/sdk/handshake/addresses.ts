/**
 * Comparing network addresses as peers write them ("https://host:port", "192.168.1.2:5000",
 * "[::1]:5000"): both sides sign addresses, and a relay shows up as an address that does not
 * match. Hosts are compared case-insensitively, IPv4-mapped IPv6 as IPv4, default ports made explicit.
 */
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

/** `host:port` in a canonical spelling, or null when the text is no address. */
export function normalizeAddress(text: string): string | null {
  let host: string;
  let port: string;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
      const url = new URL(text);
      host = url.hostname;
      port = url.port || DEFAULT_PORTS[url.protocol] || '';
    } else {
      const url = new URL(`tcp://${text}`);
      host = url.hostname;
      port = url.port;
    }
  } catch {
    return null;
  }
  if (port === '') return null;
  host = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  host = host.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Just the host of an address (for the address a server observes: the client's port is ephemeral). */
export function addressHost(text: string): string | null {
  const normal = normalizeAddress(text);
  return normal === null ? null : normal.slice(0, normal.lastIndexOf(':'));
}

export function addressAmong(address: string, list: readonly string[]): boolean {
  const wanted = normalizeAddress(address);
  return wanted !== null && list.some((candidate) => normalizeAddress(candidate) === wanted);
}
