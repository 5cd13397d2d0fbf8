// The CLI's small parts for people and scripts: the closest flag or command to a typo, why a
// fetch failed, progress with an ETA only on a terminal, colour only where NO_COLOR allows it.
import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../src/cli/did-you-mean.js';
import { describeNetworkFailure } from '../../src/cli/network-failure.js';
import { colourFor, Ui } from '../../src/cli/output.js';
import { formatDuration, progress } from '../../src/cli/progress.js';

describe('did you mean', () => {
  const flags = ['registry', 'vkey', 'state', 'keys', 'history', 'allow-revoked', 'json', 'help'];
  it.each([
    ['registy', 'registry'],
    ['regsitry', 'registry'],
    ['vkye', 'vkey'],
    ['hist', 'history'],
    ['allow-revoke', 'allow-revoked'],
    ['jsno', 'json'],
  ])('--%s → --%s', (typo, meant) => expect(closest(typo, flags)).toBe(meant));

  it('suggests nothing far from every candidate', () => {
    expect(closest('no-such-flag', flags)).toBeNull();
    expect(closest('x', flags)).toBeNull();
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('vkey', 'vkye')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('why a fetch failed', () => {
  const url = 'https://keys.example.org';
  const systemError = (code: string, message = code) => Object.assign(new Error(message), { code });
  const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

  it.each([
    [fetchFailed(systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8080')), 'CONNECTION_REFUSED', 'ECONNREFUSED'],
    [fetchFailed(new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')])), 'CONNECTION_REFUSED', 'ECONNREFUSED'],
    [fetchFailed(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND keys.example.org')), 'DNS_ERROR', 'ENOTFOUND'],
    [fetchFailed(systemError('EAI_AGAIN')), 'DNS_ERROR', 'EAI_AGAIN'],
    [fetchFailed(systemError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')), 'TLS_ERROR', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    [fetchFailed(systemError('CERT_HAS_EXPIRED')), 'TLS_ERROR', 'CERT_HAS_EXPIRED'],
    [fetchFailed(systemError('ERR_TLS_CERT_ALTNAME_INVALID')), 'TLS_ERROR', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    [fetchFailed(systemError('UND_ERR_CONNECT_TIMEOUT')), 'TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'],
    [fetchFailed(systemError('ECONNRESET')), 'CONNECTION_RESET', 'ECONNRESET'],
    [fetchFailed(new Error('bad port')), 'BAD_PORT', null],
    [fetchFailed(new Error('something else')), 'NETWORK', null],
  ])('%#: %s', (error, code, cause) => {
    const failure = describeNetworkFailure(url, error);
    expect(failure.code).toBe(code);
    expect(failure.cause).toBe(cause);
    expect(failure.message).toContain('keys.example.org');
  });
});

/** A stream that records what is written to it. */
function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (chunk: string) => (chunks.push(chunk), true) } as unknown as NodeJS.WriteStream & { chunks: string[] };
}

describe('progress', () => {
  it('on a terminal: done/total, percent, rate and the time left at that rate', () => {
    const stream = recorder(true);
    let now = 0;
    const bar = progress('verifying', { stream, enabled: true, now: () => now, intervalMs: 0 });
    bar.update(100, 1000); // the first update sets the pace's start: a resumed job's earlier work is not this run's
    now = 2000;
    bar.update(300, 1000);
    expect(stream.chunks.at(-1)).toBe('\rverifying: 300/1,000 (30%), 100/s, ETA 7s\u001b[K');
    now = 10_000;
    bar.update(1000, 1000);
    expect(stream.chunks.at(-1)).not.toContain('ETA');
    bar.finish('done');
    expect(stream.chunks.slice(-2)).toEqual(['\r\u001b[K', 'done\n']);
  });

  it('draws nothing off a terminal or with --json; finish messages only without --json', () => {
    const file = recorder(false);
    const plain = progress('x', { stream: file, enabled: false });
    plain.update(1, 2);
    plain.finish('the end');
    expect(file.chunks).toEqual(['the end\n']);
    const quiet = recorder(true);
    const json = progress('x', { stream: quiet, enabled: false, quiet: true });
    json.update(1, 2);
    json.finish('the end');
    expect(quiet.chunks).toEqual([]);
  });

  it('says the time left as a person would', () => {
    expect([formatDuration(0.4), formatDuration(42), formatDuration(185), formatDuration(7620)]).toEqual(['0s', '42s', '3m 05s', '2h 07m']);
  });

  it('Ui.progress is silent when stderr is not a terminal, and with --json', () => {
    const err = recorder(false);
    new Ui({ json: false, noColor: false, stdout: recorder(false), stderr: err }).progress('x').update(1, 2);
    const ttyErr = recorder(true);
    new Ui({ json: true, noColor: false, stdout: recorder(false), stderr: ttyErr }).progress('x').update(1, 2);
    expect([...err.chunks, ...ttyErr.chunks]).toEqual([]);
  });
});

describe('colour', () => {
  it('only on a terminal, and never with NO_COLOR', () => {
    expect(colourFor({ isTTY: true }, false)).toBe(true);
    expect(colourFor({ isTTY: true }, true)).toBe(false);
    expect(colourFor({ isTTY: false }, false)).toBe(false);
    expect(colourFor({}, false)).toBe(false);
  });

  it('marks ✔ and ✖ in green and red on a terminal, plain elsewhere', () => {
    const tty = recorder(true);
    const ui = new Ui({ json: false, noColor: false, stdout: tty, stderr: recorder(true) });
    ui.ok('fine');
    ui.bad('broken');
    expect(tty.chunks).toEqual(['\u001b[32m✔\u001b[0m fine\n', '\u001b[31m✖\u001b[0m broken\n']);
    const plain = recorder(true);
    new Ui({ json: false, noColor: true, stdout: plain, stderr: recorder(true) }).ok('fine');
    expect(plain.chunks).toEqual(['✔ fine\n']);
  });
});
