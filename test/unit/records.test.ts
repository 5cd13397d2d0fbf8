// zod/mini, as the record schemas in src/protocol are built: what parseAndEncodeRecord is run with.
import * as z from 'zod/mini';
import { describe, expect, it } from '@jest/globals';
import { parseAndEncodeRecord, parseRecord } from '../../src/protocol/records.js';
import { canonicalJson } from '../../src/protocol/json.js';
import { canonicalBytes } from '../../src/protocol/signing.js';
import { codeOfSync } from '../helpers/errors.js';

const schema = z.strictObject({ type: z.literal('test'), text: z.string() });

describe('parseRecord', () => {
  it('returns the parsed record', () => {
    expect(parseRecord(schema, { type: 'test', text: 'hi' }, 100, 'test')).toEqual({ type: 'test', text: 'hi' });
  });

  it('drops an optional field given as undefined, from the record and its canonical JSON, and keeps nothing of the input object', () => {
    const optional = z.strictObject({ type: z.literal('test'), text: z.optional(z.string()) });
    const input = { type: 'test', text: undefined };
    const encoded = parseAndEncodeRecord(optional, input, 100, 'test');
    expect(Object.keys(encoded.record)).toEqual(['type']);
    expect(encoded.canonical).toBe('{"type":"test"}');
    const given = { type: 'test', text: 'hi' };
    const kept = parseAndEncodeRecord(optional, given, 100, 'test');
    given.text = 'changed';
    expect(kept.record).toEqual({ type: 'test', text: 'hi' });
  });

  it('keeps neither the input object nor its arrays: changing them afterwards leaves the record and its canonical JSON as parsed', () => {
    const listed = z.strictObject({ type: z.literal('test'), list: z.array(z.string()) });
    const given = { type: 'test', list: ['a', 'b'] };
    const encoded = parseAndEncodeRecord(listed, given, 100, 'test');
    expect(encoded.record).not.toBe(given);
    expect(encoded.record.list).not.toBe(given.list);
    given.list.push('c');
    given.type = 'changed';
    expect(encoded.record).toEqual({ type: 'test', list: ['a', 'b'] });
    expect(canonicalJson(encoded.record)).toBe(encoded.canonical);
  });

  it('rejects a schema violation with INVALID_RECORD', () => {
    expect(codeOfSync(() => parseRecord(schema, { type: 'test' }, 100, 'test'))).toBe('INVALID_RECORD');
    expect(codeOfSync(() => parseRecord(schema, { type: 'test', text: 'hi', extra: 1 }, 100, 'test'))).toBe('INVALID_RECORD');
    expect(codeOfSync(() => parseRecord(schema, null, 100, 'test'))).toBe('INVALID_RECORD');
  });

  it('measures canonical JSON in UTF-8 bytes: exactly the limit passes, one byte more is INVALID_RECORD', () => {
    const record = { type: 'test', text: 'é'.repeat(10) }; // 2 bytes each in UTF-8, 1 code unit each
    const size = canonicalBytes(record).length;
    expect(size).toBe('{"text":"","type":"test"}'.length + 20);
    expect(codeOfSync(() => parseRecord(schema, record, size, 'test'))).toBe('ok');
    expect(codeOfSync(() => parseRecord(schema, record, size - 1, 'test'))).toBe('INVALID_RECORD');
  });
});
