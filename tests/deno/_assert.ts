/** Tiny assertions for the Deno-only suite (@std/assert is unreachable here). */
import assert from "node:assert/strict";

export function assertEquals(actual: unknown, expected: unknown): void {
  assert.deepEqual(actual, expected);
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  errorClass: abstract new (...args: any[]) => Error,
): Promise<void> {
  let thrown: unknown;
  try {
    await fn();
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof errorClass)) {
    throw new Error(
      `Expected a rejection with ${errorClass.name}, got ${thrown}`,
    );
  }
}
