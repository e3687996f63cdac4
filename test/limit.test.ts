// mapLimit: results in order, never more than the limit running, the first failure thrown after the
// running calls settle and no new call started after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../src/util/limit.js';

test('mapLimit keeps the order and the limit', async () => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([30, 5, 20, 1, 10], 2, async (ms, i) => {
    running++;
    most = Math.max(most, running);
    await sleep(ms);
    running--;
    return `${i}:${ms}`;
  });
  assert.deepEqual(out, ['0:30', '1:5', '2:20', '3:1', '4:10']);
  assert.equal(most, 2);
  assert.deepEqual(await mapLimit([], 3, async () => 1), []);
});

test('mapLimit throws the first failure and starts nothing after it', async () => {
  const started: number[] = [];
  await assert.rejects(
    mapLimit([0, 1, 2, 3, 4], 2, async (x) => {
      started.push(x);
      await sleep(5);
      if (x === 1) throw new Error('item 1 failed');
      return x;
    }),
    /item 1 failed/,
  );
  assert.deepEqual(started, [0, 1, 2], 'item 2 started while 1 ran (lane of 0 freed first); none after the failure');
});
