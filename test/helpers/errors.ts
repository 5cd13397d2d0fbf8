import { expect } from '@jest/globals';
import { ProtocolError, type ErrorCode } from '../../src/protocol/errors.js';
import { VerificationError } from '../../src/sdk/index.js';
import { expectWith } from './expect-with.js';

/** The code of the error of class `type` that `run` throws, or 'ok'; any other error fails the test. */
export function codeOfThrown<C extends string>(type: abstract new (...args: never[]) => Error & { code: C }, run: () => unknown): C | 'ok' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (!(error instanceof type)) throw error;
    return error.code;
  }
}

/** The code of the ProtocolError `run` throws, or 'ok'; any other error fails the test. */
export function codeOfSync(run: () => unknown): ErrorCode | 'ok' {
  return codeOfThrown(ProtocolError, run);
}

/** codeOfSync for a `run` that may be async. */
export async function codeOf(run: () => unknown): Promise<ErrorCode | 'ok'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return error.code;
  }
}

/** Expects `promise` to reject with the SDK's VerificationError of `code`. */
export async function expectVerification(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expectWith(error, `expected ${code}`).toBeInstanceOf(VerificationError);
  expect((error as VerificationError).code).toBe(code);
}
