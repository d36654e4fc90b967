// Invariant guards. A failed assertion is a bug, never a user error: callers
// must not catch AssertionError to turn it into a success.
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never, message = 'unexpected variant'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
