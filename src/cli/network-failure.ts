/**
 * Why a request never got an answer. Node's fetch (undici) throws `TypeError: fetch failed` and
 * keeps the reason in `cause`: a system error (ECONNREFUSED, ENOTFOUND), an AggregateError when
 * every address of a host refused, an OpenSSL certificate error, an undici timeout. This finds
 * that reason and says it in words, with a stable code for --json.
 */

export interface NetworkFailure {
  /** CONNECTION_REFUSED, DNS_ERROR, TLS_ERROR, TIMEOUT, CONNECTION_RESET, BAD_PORT or NETWORK. */
  code: string;
  /** The system or library code found, e.g. ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED. */
  cause: string | null;
  /** What happened, for a person. */
  message: string;
}

const TLS_CODES = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|EPROTO$|HOSTNAME_MISMATCH$)/;

/** The first `code` along the chain of causes (and an AggregateError's errors). */
function systemCode(error: unknown, depth = 0): { code: string; error: Error } | null {
  if (depth > 8 || error === null || typeof error !== 'object') return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== 'NETWORK' && code !== 'UND_ERR') return { code, error: error as Error };
  const errors = (error as { errors?: unknown }).errors;
  for (const inner of Array.isArray(errors) ? (errors as unknown[]) : []) {
    const found = systemCode(inner, depth + 1);
    if (found !== null) return found;
  }
  return systemCode((error as { cause?: unknown }).cause, depth + 1);
}

/** The message of the deepest cause. */
function innermostMessage(error: unknown, depth = 0): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (depth < 8 && cause !== undefined && cause !== null && typeof cause === 'object') return innermostMessage(cause, depth + 1);
  return (error as Error | null)?.message ?? '';
}

/** Describes a failed request to `url`; `error` is what fetch threw (or an error that holds it as its cause). */
export function describeNetworkFailure(url: string, error: unknown): NetworkFailure {
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the text as given
  }
  // The fetch standard blocks some ports (9, 25, 6000…) without trying: undici says only "bad port".
  if (/^bad port$/i.test(innermostMessage(error))) {
    return { code: 'BAD_PORT', cause: null, message: `fetch refuses to connect to ${host}: its port is one the fetch standard blocks (https://fetch.spec.whatwg.org/#port-blocking); use another port` };
  }
  const found = systemCode(error);
  const code = found?.code ?? null;
  const detail = found?.error.message ?? (error as Error)?.message ?? String(error);
  if (code === 'ECONNREFUSED') {
    return { code: 'CONNECTION_REFUSED', cause: code, message: `connection refused by ${host}: nothing is listening there (is the registry running, and is the URL's port right?)` };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
    return { code: 'DNS_ERROR', cause: code, message: `the host name of ${host} could not be resolved (DNS ${code}): check the URL, or the network` };
  }
  if (code !== null && TLS_CODES.test(code)) {
    return { code: 'TLS_ERROR', cause: code, message: `the TLS connection to ${host} failed (${code}: ${detail}); the registry's certificate is not one this machine trusts for that name` };
  }
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ABORT_ERR' || code === 'ERR_ABORTED') {
    return { code: 'TIMEOUT', cause: code, message: `${host} did not answer in time (${code})` };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'ECONNABORTED') {
    return { code: 'CONNECTION_RESET', cause: code, message: `the connection to ${host} was closed before it answered (${code}): a proxy or firewall, or http:// to an https port?` };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return { code: 'NETWORK', cause: code, message: `${host} cannot be reached from here (${code})` };
  }
  return { code: 'NETWORK', cause: code, message: `could not reach ${host}: ${detail}${code !== null && !detail.includes(code) ? ` (${code})` : ''}` };
}
