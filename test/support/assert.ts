// Assertions the format tests share.
import assert from 'node:assert/strict';

/** Asserts that `fn` throws a one-line error starting with `name: ` and matching `re`. */
export function assertRefused(fn: () => unknown, name: string, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.ok(err.message.startsWith(`${name}: `), err.message);
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.match(err.message, re);
    return true;
  });
}
