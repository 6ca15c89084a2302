import { describe, expect, it } from 'vitest';
import { cannotRestart, restart, startApp, useVhost } from '@rabbit-tutorials/testing';
import { WorkerPool } from './workers.js';

const vhost = useVhost();

describe('broker restart in the middle of a run', () => {
  it('the confirming producer and the workers reconnect on their own; no confirmed task is lost', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    const total = 15_000;
    // Enough connection attempts to outlast the restart (backoff from 200 ms doubles each time).
    const env = { ...vhost.env, RABBITMQ_CONNECTION_ATTEMPTS: '12' };
    const pool = new WorkerPool(env, ['--dot-ms', '0', '--prefetch', '10']);
    await pool.start(3);
    // One confirm at a time keeps the producer busy long enough to be cut off mid-run.
    const producer = startApp('task-queue', 'many-tasks', ['--count', String(total), '--window', '1', 'restart'], env);
    await producer.waitFor(/confirmed [3-9]\d{3}\//, 1, 60_000);

    await restart();

    const { code } = await producer.exited;
    expect(code, producer.stderr.join('\n')).toBe(0);
    expect(producer.stdout.join('\n')).toMatch(new RegExp(`Sent ${total} tasks, all confirmed`));
    expect(producer.stderr.join("\n")).toMatch(/reconnecting to publish the \d+ tasks not confirmed yet/);
    await pool.untilAllDone(total, 120_000);
    expect(pool.doneCounts().size).toBe(total);
    // Each worker reconnects on its own backoff (one may still be waiting when the others are done).
    for (const w of pool.workers) await w.waitFor(/reconnected to amqp:\/\/\S+; topology and consumers restored/, 1, 60_000);
    console.log(`restart: ${total} tasks, ${[...pool.doneCounts().values()].filter((c) => c > 1).length} done twice, ${pool.redelivered().size} redelivered`);
  });
});
