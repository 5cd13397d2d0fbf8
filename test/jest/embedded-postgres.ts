/**
 * One embedded Postgres (PGlite) served over the Postgres wire protocol, for one Jest worker:
 *   node --import tsx test/jest/embedded-postgres.ts
 * prints "listening <port>" as soon as it accepts connections (PGlite starts meanwhile; queries
 * wait for it) and exits when its parent goes away. Test suites connect with `pg`, exactly as to
 * a real Postgres, each in a schema of its own (test/helpers/database.ts), so a worker pays
 * PGlite's start once instead of once per test file.
 *
 * PGlite is a single session. Connections take turns on it, and a turn ends only at a message
 * boundary where Postgres itself would accept another client's statement: after a Sync or a
 * simple Query, and only outside a transaction block. So one client's extended-protocol sequence
 * (Parse, Bind, Execute, Sync) or transaction is never interleaved with another's, and every
 * client sees exactly what it would see on a server that serialises transactions. Per-connection
 * settings sent at startup (`options=-c search_path=...`, how the test schemas are chosen) are
 * applied whenever the session passes to a connection whose settings differ.
 *
 * Named prepared statements belong to their connection, as on a server where each connection is
 * a session of its own: a connection's statement names are prefixed with its number on the way in
 * (Parse, Bind, Describe, Close), so two connections may prepare the same name, and a connection's
 * statements are deallocated when it goes. (Only the extended protocol's: SQL PREPARE, which no
 * code here uses, would still share the session.)
 *
 * A client that waits, inside its transaction, for another connection's query would wait forever
 * here, as it would on the embedded database of `npm start` (PGlite's own transaction lock).
 */
import { createServer, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { EMBEDDED_START_PARAMS } from '../../src/db/embedded-settings.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

// The registry's embedded settings (16 MB of shared buffers, not 128 MB zeroed per worker at start).
const pglite = new PGlite({ startParams: [...EMBEDDED_START_PARAMS] });
const ready = pglite.waitReady;

/** Who holds the session, who waits for it, and whose settings it currently has. */
let owner: Connection | null = null;
const waiting: Array<{ connection: Connection; resume: () => void }> = [];
let appliedSettings = '';

function acquire(connection: Connection): Promise<void> {
  if (owner === connection) return Promise.resolve();
  if (owner === null) {
    owner = connection;
    return Promise.resolve();
  }
  return new Promise((resume) => waiting.push({ connection, resume }));
}

function release(connection: Connection): void {
  if (owner !== connection) return;
  const next = waiting.shift();
  owner = next?.connection ?? null;
  next?.resume();
}

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function parameterStatus(name: string, value: string): Buffer {
  return message('S', Buffer.from(`${name}\0${value}\0`));
}

/** `-c name=value` and `--name=value` pairs of the startup `options` parameter, as SET statements. */
function settingsFrom(options: string | undefined): string {
  if (options === undefined) return '';
  const statements: string[] = [];
  const words = options.match(/(?:\\.|[^\s\\])+/g) ?? [];
  for (let i = 0; i < words.length; i++) {
    let pair: string | undefined;
    if (words[i] === '-c') pair = words[++i];
    else if (words[i]!.startsWith('--')) pair = words[i]!.slice(2);
    const match = pair === undefined ? null : /^([A-Za-z_.]+)=(.*)$/.exec(pair.replace(/\\(.)/g, '$1'));
    if (match === null) continue;
    const value = match[2]!.startsWith('"') ? match[2]! : `'${match[2]!.replaceAll("'", "''")}'`;
    statements.push(`SET ${match[1]} TO ${value}`);
  }
  return statements.join(';');
}

/** Numbers the connections, whose prepared statements' names they prefix. */
let connections = 0;

/** A null-terminated string of a message, at `offset`: its text and the offset after it. */
function cstring(packet: Buffer, offset: number): { text: string; end: number } {
  const end = packet.indexOf(0, offset);
  return { text: packet.toString('utf8', offset, end), end: end + 1 };
}

class Connection {
  private readonly statementPrefix = `c${++connections}_`;
  /** The session-wide names of this connection's prepared statements. */
  private readonly statements = new Set<string>();
  private buffer = Buffer.alloc(0);
  private started = false;
  private settings = '';
  private busy = false;
  private closed = false;
  private cleanedUp = false;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (data) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      void this.drain();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.close());
  }

  /** Handles every complete message in the buffer, one at a time. */
  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed) {
        if (!this.started) {
          if (this.buffer.length < 8) break;
          const length = this.buffer.readInt32BE(0);
          if (this.buffer.length < length) break;
          const packet = this.buffer.subarray(0, length);
          this.buffer = this.buffer.subarray(length);
          this.startup(packet);
          continue;
        }
        if (this.buffer.length < 5) break;
        const length = 1 + this.buffer.readInt32BE(1);
        if (this.buffer.length < length) break;
        const packet = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        await this.handle(packet);
      }
    } catch (error) {
      process.stderr.write(`embedded-postgres: ${(error as Error).stack ?? String(error)}\n`);
      this.socket.destroy();
    } finally {
      this.busy = false;
      if (this.closed) await this.cleanUp();
    }
  }

  private startup(packet: Buffer): void {
    const code = packet.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write('N');
      return;
    }
    if (code !== PROTOCOL_3) {
      // A CancelRequest (nothing to cancel: statements here run to completion) or an unknown protocol.
      this.socket.destroy();
      return;
    }
    const fields = packet.subarray(8).toString('utf8').split('\0');
    const parameters = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length && fields[i] !== ''; i += 2) parameters.set(fields[i]!, fields[i + 1]!);
    this.settings = settingsFrom(parameters.get('options'));
    this.started = true;
    const ok = Buffer.alloc(4);
    const key = Buffer.alloc(8);
    key.writeInt32BE(process.pid, 0);
    this.socket.write(
      Buffer.concat([
        message('R', ok),
        parameterStatus('server_version', '17.5'),
        parameterStatus('server_encoding', 'UTF8'),
        parameterStatus('client_encoding', 'UTF8'),
        parameterStatus('DateStyle', 'ISO, MDY'),
        parameterStatus('integer_datetimes', 'on'),
        parameterStatus('standard_conforming_strings', 'on'),
        parameterStatus('TimeZone', 'UTC'),
        message('K', key),
        message('Z', Buffer.from('I')),
      ]),
    );
  }

  private async handle(packet: Buffer): Promise<void> {
    const type = String.fromCharCode(packet[0]!);
    if (type === 'X') {
      this.socket.end();
      await this.close();
      return;
    }
    await acquire(this);
    if (this.closed) return;
    await ready;
    if (appliedSettings !== this.settings) {
      await pglite.exec(`RESET ALL;${this.settings}`);
      appliedSettings = this.settings;
    }
    const chunks: Uint8Array[] = [];
    await pglite.execProtocolRawStream(new Uint8Array(this.ownStatementNames(type, packet)), { onRawData: (data) => chunks.push(data.slice()) });
    if (chunks.length > 0 && !this.socket.destroyed) this.socket.write(Buffer.concat(chunks));
    // The end of a request: the session may pass to another client unless a transaction is open.
    if ((type === 'S' || type === 'Q') && !pglite.isInTransaction()) release(this);
  }

  /**
   * `packet` with the statement name it carries, if any and not the unnamed statement, made this
   * connection's (Parse: the name; Bind: the second string, after the portal's; Describe and
   * Close of a statement: the name after the 'S').
   */
  private ownStatementNames(type: string, packet: Buffer): Buffer {
    let at: number;
    if (type === 'P') at = 5;
    else if (type === 'B') at = cstring(packet, 5).end;
    else if ((type === 'D' || type === 'C') && packet[5] === 'S'.charCodeAt(0)) at = 6;
    else return packet;
    const { text: name, end } = cstring(packet, at);
    if (name === '') return packet;
    const own = this.statementPrefix + name;
    if (type === 'P') this.statements.add(own);
    if (type === 'C') this.statements.delete(own);
    const body = Buffer.concat([packet.subarray(5, at), Buffer.from(`${own}\0`), packet.subarray(end)]);
    return message(type, body);
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const mine = waiting.findIndex((w) => w.connection === this);
    if (mine !== -1) waiting.splice(mine, 1);
    // A request in progress finishes first; drain() cleans up after it.
    if (!this.busy) await this.cleanUp();
  }

  /**
   * A client gone mid-request or mid-transaction leaves the session as the next client expects it,
   * and takes its prepared statements with it (waiting for the session when it does not hold it).
   */
  private async cleanUp(): Promise<void> {
    if (this.cleanedUp || (owner !== this && this.statements.size === 0)) return;
    this.cleanedUp = true;
    await acquire(this);
    try {
      await pglite.execProtocolRaw(new Uint8Array([0x53, 0, 0, 0, 4])); // Sync: ends an unfinished extended query
      if (pglite.isInTransaction()) await pglite.exec('ROLLBACK');
      // (a name whose Parse failed was never prepared)
      for (const name of this.statements) await pglite.exec(`DEALLOCATE "${name.replaceAll('"', '""')}"`).catch(() => {});
    } finally {
      release(this);
    }
  }
}

const server = createServer((socket) => new Connection(socket));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
// Started by Jest's global setup with an IPC channel: when Jest goes, so does this process.
process.on('disconnect', () => process.exit(0));
ready.catch((error: unknown) => {
  process.stderr.write(`embedded-postgres: PGlite did not start: ${String(error)}\n`);
  process.exit(1);
});
