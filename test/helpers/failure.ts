// Runs an action that must fail with a GravityError and returns that error, so that tests can assert
// its code and details; any other outcome fails the test.

import assert from 'node:assert/strict';
import { isGravityError } from '../../src/errors.ts';
import type { GravityError } from '../../src/errors.ts';

export function failure(action: () => unknown): GravityError {
  try {
    action();
  } catch (error) {
    if (isGravityError(error)) return error;
    throw error;
  }
  assert.fail('expected a GravityError');
}
