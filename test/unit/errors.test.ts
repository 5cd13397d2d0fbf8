import { describe, expect, it } from '@jest/globals';
import { ERROR_STATUS, ProtocolError } from '../../src/protocol/errors.js';

describe('ProtocolError', () => {
  it('carries its code and the status that goes with it', () => {
    const error = new ProtocolError('PREV_MISMATCH', 'the chain moved on');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ProtocolError');
    expect(error.code).toBe('PREV_MISMATCH');
    expect(error.status).toBe(409);
  });

  it('maps the codes DESIGN.md §2-3 names to their statuses', () => {
    expect(ERROR_STATUS).toMatchObject({
      INVALID_RECORD: 400,
      PREV_MISMATCH: 409,
      STALE_DEVICE: 409,
      UNAUTHORIZED_SIGNER: 422,
      LATE_RECOVERY: 422,
      BAD_SIGNATURE: 422,
    });
    for (const code of Object.keys(ERROR_STATUS) as (keyof typeof ERROR_STATUS)[]) {
      expect(new ProtocolError(code, '').status).toBe(ERROR_STATUS[code]);
    }
  });
});
