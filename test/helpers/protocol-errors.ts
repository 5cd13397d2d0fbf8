import { ProtocolError, type ErrorCode } from '../../src/protocol/errors.js';

/** The code of the ProtocolError `run` throws, or 'ok'; any other error fails the test. */
export async function codeOf(run: () => unknown): Promise<ErrorCode | 'ok'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return error.code;
  }
}
