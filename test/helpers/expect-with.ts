/**
 * Jest's `expect` takes no message; `expectWith(value, context)` is `expect(value)` whose failure
 * starts with `context` (what was being checked: a reply's body, the input that was refused), so
 * a failing assertion in a loop still says which case failed.
 */
import { expect } from '@jest/globals';

type Matchers<T> = ReturnType<typeof expect<T>>;

function withContext(error: unknown, context: string | undefined): unknown {
  if (context !== undefined && context !== '' && error instanceof Error && !error.message.startsWith(context)) {
    error.message = `${context}\n\n${error.message}`;
    // The failure points at the test's line, not at this wrapper.
    if (error.stack !== undefined) error.stack = error.stack.split('\n').filter((line) => !line.includes('expect-with.ts')).join('\n');
  }
  return error;
}

/** Every matcher (and `.not`, `.resolves`, `.rejects`) of `target`, failing with `context` in front. */
function contextual<M extends object>(target: M, context: string | undefined): M {
  return new Proxy(target, {
    get(object, key) {
      const member: unknown = Reflect.get(object, key);
      if (typeof member === 'function') {
        return (...args: unknown[]) => {
          try {
            const result: unknown = member.apply(object, args);
            if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(withContext(error, context)));
            return result;
          } catch (error) {
            throw withContext(error, context);
          }
        };
      }
      return typeof member === 'object' && member !== null ? contextual(member, context) : member;
    },
  });
}

export function expectWith<T>(value: T, context: string | undefined): Matchers<T> {
  return contextual(expect(value), context);
}
