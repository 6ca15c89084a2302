// Competing consumers under load and faults: real worker processes on task_queue.
import { describe, expect, it } from 'vitest';
import { publishConfirmed, queueDepth, useVhost } from '@rabbit-tutorials/testing';
import { WorkerPool } from './workers.js';

const vhost = useVhost();
const QUORUM = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

async function publishTasks(count: number, text: string) {
  const connection = await vhost.connect();
  await (await connection.createChannel()).assertQueue('task_queue', QUORUM);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  for (let i = 0; i < ids.length; i += 5000) {
    await publishConfirmed(connection, '', ids.slice(i, i + 5000).map((id) => ({ routingKey: 'task_queue', body: `${text} #${id}`, options: { persistent: true } })));
  }
}

describe('competing workers (prefetch 1, 40 ms per task)', () => {
  it.each([1, 2, 4, 8])('%i worker(s): every task exactly once, spread fairly, worked side by side', async (n) => {
    const tasks = 60 * n;
    const pool = new WorkerPool(vhost.env, ['--dot-ms', '20', '--prefetch', '1']);
    await pool.start(n);
    const started = Date.now();
    await publishTasks(tasks, 'work..');
    await pool.untilAllDone(tasks, 60_000);
    const seconds = (Date.now() - started) / 1000;
    const rate = tasks / seconds;

    const counts = pool.doneCounts();
    expect(counts.size).toBe(tasks);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    const perWorker = pool.workers.map((w) => pool.done(w).length);
    console.log(`${n} worker(s): ${tasks} tasks in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} tasks/s (ideal ${25 * n}); per worker min ${Math.min(...perWorker)} max ${Math.max(...perWorker)}`);
    // Fair: with prefetch 1 no worker gets much more than its share.
    expect(Math.min(...perWorker)).toBeGreaterThanOrEqual(Math.floor((tasks / n) * 0.6));
    // Side by side: done sooner than one worker could ever do them, 40 ms each one after another (a
    // bound of the work itself, not a rate measured on a machine that may be busy with other tests).
    if (n > 1) expect(seconds).toBeLessThan(tasks * 0.04);
  });
});

describe('chaos: workers SIGKILLed while 10,000 persistent tasks are in flight', () => {
  it('loses nothing; duplicates are only tasks unacked at a kill, flagged redelivered', async () => {
    const total = 10_000;
    const prefetch = 10;
    await publishTasks(total, 'chaos');
    const pool = new WorkerPool(vhost.env, ['--dot-ms', '0', '--prefetch', String(prefetch)]);
    await pool.start(3);
    let kills = 0;
    for (const threshold of [2000, 5000, 7500]) {
      while (pool.doneCounts().size < threshold) await new Promise((resolve) => setTimeout(resolve, 20));
      const victim = pool.workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
      victim.kill('SIGKILL');
      await victim.exited;
      kills++;
      await pool.start(1);
    }
    await pool.untilAllDone(total, 120_000);

    const counts = pool.doneCounts();
    expect(counts.size).toBe(total); // nothing lost
    const duplicates = [...counts].filter(([, c]) => c > 1).map(([id]) => id);
    const redelivered = pool.redelivered();
    console.log(`chaos: ${total} tasks, ${kills} workers killed, ${duplicates.length} done twice, ${redelivered.size} redelivered`);
    expect(duplicates.every((id) => redelivered.has(id))).toBe(true);
    expect(duplicates.length).toBeLessThanOrEqual(kills * prefetch);
    const connection = await vhost.connect();
    expect(await queueDepth(connection, 'task_queue')).toBe(0);
  });
});
