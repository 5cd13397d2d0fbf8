import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { MAX_CLOCK_SKEW_MS, formatTimestamp, parseTimestamp } from '../../src/protocol/time.js';

describe('parseTimestamp', () => {
  it('accepts RFC 3339 UTC with exactly three fraction digits', () => {
    expect(parseTimestamp('2026-11-24T21:00:00.000Z')).toBe(Date.UTC(2026, 10, 24, 21, 0, 0, 0));
    expect(parseTimestamp('1970-01-01T00:00:00.000Z')).toBe(0);
    expect(parseTimestamp('2026-12-31T23:59:59.999Z')).toBe(Date.UTC(2026, 11, 31, 23, 59, 59, 999));
  });

  it('rejects a missing fraction, and 1, 2 or 4 fraction digits', () => {
    for (const text of ['2026-11-24T21:00:00Z', '2026-11-24T21:00:00.0Z', '2026-11-24T21:00:00.00Z', '2026-11-24T21:00:00.0000Z']) {
      expect(parseTimestamp(text)).toBeNull();
    }
  });

  it('rejects offsets other than Z, including +00:00', () => {
    for (const text of ['2026-11-24T21:00:00.000+00:00', '2026-11-24T21:00:00.000-00:00', '2026-11-24T21:00:00.000+01:00', '2026-11-24T21:00:00.000']) {
      expect(parseTimestamp(text)).toBeNull();
    }
  });

  it("rejects lowercase 't' and 'z', a space separator, and surrounding whitespace", () => {
    for (const text of ['2026-11-24t21:00:00.000Z', '2026-11-24T21:00:00.000z', '2026-11-24 21:00:00.000Z', ' 2026-11-24T21:00:00.000Z', '2026-11-24T21:00:00.000Z\n']) {
      expect(parseTimestamp(text)).toBeNull();
    }
  });

  it('rejects impossible dates and times instead of rolling them over', () => {
    for (const text of [
      '2026-02-30T00:00:00.000Z', // Feb 30
      '2026-02-29T00:00:00.000Z', // not a leap year
      '2100-02-29T00:00:00.000Z', // century, not a leap year
      '2026-04-31T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-10T00:00:00.000Z',
      '2026-11-00T00:00:00.000Z',
      '2026-11-24T24:00:00.000Z', // hour 24
      '2026-11-24T23:60:00.000Z',
      '2016-12-31T23:59:60.000Z', // leap second
    ]) {
      expect(parseTimestamp(text)).toBeNull();
    }
  });

  it('accepts Feb 29 in leap years', () => {
    expect(parseTimestamp('2028-02-29T12:00:00.000Z')).toBe(Date.UTC(2028, 1, 29, 12));
    expect(parseTimestamp('2000-02-29T12:00:00.000Z')).toBe(Date.UTC(2000, 1, 29, 12));
  });

  it('rejects other shapes: short fields, extended years, full-width digits', () => {
    for (const text of ['26-11-24T21:00:00.000Z', '2026-1-24T21:00:00.000Z', '+002026-11-24T21:00:00.000Z', '２026-11-24T21:00:00.000Z', '', 'now']) {
      expect(parseTimestamp(text)).toBeNull();
    }
  });
});

describe('formatTimestamp', () => {
  it('formats what parseTimestamp accepts, and they round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), (ms) => {
        const text = formatTimestamp(ms);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(parseTimestamp(text)).toBe(ms);
      }),
    );
  });

  it('formats a known instant', () => {
    expect(formatTimestamp(Date.UTC(2026, 10, 24, 21))).toBe('2026-11-24T21:00:00.000Z');
  });
});

describe('MAX_CLOCK_SKEW_MS', () => {
  it('is 5 minutes (DESIGN.md §2)', () => expect(MAX_CLOCK_SKEW_MS).toBe(300_000));
});
