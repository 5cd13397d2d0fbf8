/**
 * Classifying errors that come out of the database layer: a unique-constraint violation (a race
 * the constraints caught, answered 409) and the database being unreachable (answered 503).
 */

interface ErrorLike {
  code?: unknown;
  meta?: { code?: unknown; driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
  cause?: unknown;
  name?: unknown;
  message?: unknown;
}

function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    out.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  return out;
}

export function isUniqueViolation(error: unknown): boolean {
  return chain(error).some(
    (e) =>
      e.code === 'P2002' ||
      e.code === '23505' ||
      e.meta?.code === '23505' ||
      (e as { kind?: unknown }).kind === 'UniqueConstraintViolation' ||
      e.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation',
  );
}

const UNAVAILABLE_CODES = new Set([
  // Prisma: cannot reach / connection closed / pool timeout / transaction API timeouts
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028',
  // Node sockets
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  // Postgres: shutting down, cannot connect now, too many connections, connection failures
  '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004',
  // Postgres: a statement — or its wait for a lock — cancelled at the transaction's bound
  // (statement_timeout), a lock not available (lock_timeout, should an operator set one), a
  // session ended idle in its transaction past the bound (db/database.ts, TRANSACTION_TIMEOUT_MS)
  '57014', '55P03', '25P03',
  // db/database.ts: a transaction rolled back past its bound
  'TRANSACTION_TIMEOUT',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  return chain(error).some((e) => {
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
    if (e.name === 'PrismaClientInitializationError') return true;
    const kind = (e as { kind?: unknown }).kind ?? e.meta?.driverAdapterError?.cause?.kind;
    if (kind === 'DatabaseNotReachable' || kind === 'ConnectionClosed' || kind === 'SocketTimeout' || kind === 'TooManyConnections') return true;
    // The last: a request that outlived a shutdown (its client gone) reaching the closed pool, or one
    // that waited past the pool's connection timeout (pg-pool says only so, with no code).
    return typeof e.message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection|Cannot use a pool after calling end|timeout exceeded when trying to connect/i.test(e.message);
  });
}
