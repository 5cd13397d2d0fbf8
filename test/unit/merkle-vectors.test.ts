// Every RFC 6962 vector from transparency-dev/merkle (see test/fixtures/rfc6962/README.md).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { verifyConsistency, verifyInclusion } from '../../src/protocol/merkle.js';

const ROOT = new URL('../fixtures/rfc6962/', import.meta.url).pathname;

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? jsonFiles(path) : name.endsWith('.json') ? [path] : [];
  });
}

// The vectors' hashes are standard base64 and some are deliberately not 32 bytes ("don't care").
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

describe('RFC 6962 inclusion vectors', () => {
  const files = jsonFiles(join(ROOT, 'inclusion'));
  it('covers the whole folder', () => expect(files.length).toBe(98));
  it.each(files.map((f) => [f.slice(ROOT.length), f]))('%s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    const ok = verifyInclusion(v.leafIdx, v.treeSize, bytes(v.leafHash), (v.proof ?? []).map(bytes), bytes(v.root));
    expect(ok).toBe(!v.wantErr);
  });
});

describe('RFC 6962 consistency vectors', () => {
  const files = jsonFiles(join(ROOT, 'consistency'));
  it('covers the whole folder', () => expect(files.length).toBe(98));
  it.each(files.map((f) => [f.slice(ROOT.length), f]))('%s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    const ok = verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(bytes), bytes(v.root1), bytes(v.root2));
    expect(ok).toBe(!v.wantErr);
  });
});
