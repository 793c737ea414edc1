// Heavy work one piece per event-loop turn, in order, other callbacks running between two pieces,
// and a full queue refusing more with E_PANEL_BUSY.

import assert from 'node:assert/strict';
import { isGravityError } from '../../src/errors.ts';
import { turnQueue } from '../../src/api/turn-queue.ts';

describe('api/turn-queue', () => {
  it('runs one piece per turn, in order, letting other callbacks run between them', async () => {
    const queue = turnQueue({ maxPending: 10 });
    const seen: string[] = [];
    const done = [1, 2, 3].map((n) =>
      queue.run(() => {
        seen.push(`work ${n}`);
        // Something else asks in the middle of this piece: it runs before the next piece.
        setImmediate(() => seen.push(`other after ${n}`));
        return n * 10;
      }),
    );
    assert.deepEqual(await Promise.all(done), [10, 20, 30]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen.slice(0, 4), ['work 1', 'other after 1', 'work 2', 'other after 2']);
    assert.equal(queue.pending, 0);
  });

  it('refuses more than it may hold with E_PANEL_BUSY, and passes a failure on', async () => {
    const queue = turnQueue({ maxPending: 2 });
    const first = queue.run(() => {
      throw new Error('boom');
    });
    const second = queue.run(() => 2);
    await assert.rejects(queue.run(() => 3), (error) => isGravityError(error, 'E_PANEL_BUSY'));
    await assert.rejects(first, /boom/u);
    assert.equal(await second, 2);
  });
});
