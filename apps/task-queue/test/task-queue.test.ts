import { describe, expect, it } from 'vitest';
import { eventually, publishConfirmed, queueDepth, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

function worker(...args: string[]) {
  return startApp('task-queue', 'worker', args, vhost.env);
}

async function tasks(...bodies: (string | Buffer)[]) {
  const connection = await vhost.connect();
  const channel = await connection.createChannel();
  await channel.assertQueue('task_queue', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await publishConfirmed(connection, '', bodies.map((body) => ({ routingKey: 'task_queue', body, options: { persistent: true } })));
}

describe('task-queue', () => {
  it('new-task → worker: the task is worked on and acked', async () => {
    const w = worker('--dot-ms', '10');
    await w.waitFor(/Waiting for messages/);
    const sent = await runApp('task-queue', 'new-task', ['A', 'task...'], vhost.env);
    expect(sent).toMatchObject({ code: 0, stdout: ' [x] Sent A task...' });
    await w.waitFor(/^ \[x\] Done A task\.\.\.$/);
    expect(w.matching(/Received A task\.\.\./)).toHaveLength(1);
    const connection = await vhost.connect();
    await eventually(async () => (await queueDepth(connection, 'task_queue')) === 0);
  });

  it('--count publishes N numbered persistent tasks with pipelined confirms', async () => {
    const sent = await runApp('task-queue', 'many-tasks', ['--count', '3000', 'job'], vhost.env);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^ \[x\] Sent 3000 tasks, all confirmed, in [\d.]+ s \(\d+ msg\/s\)$/);
    expect(sent.stderr).toMatch(/confirmed 3000\/3000/);
    const connection = await vhost.connect();
    expect(await queueDepth(connection, 'task_queue')).toBe(3000);
  });

  it('a worker killed (SIGKILL) mid-task loses nothing: the task goes to another worker', async () => {
    const first = worker('--dot-ms', '60000');
    await first.waitFor(/Waiting for messages/);
    await tasks('long.');
    await first.waitFor(/Received long\./);
    const second = worker('--dot-ms', '10');
    await second.waitFor(/Waiting for messages/);
    first.kill('SIGKILL');
    await second.waitFor(/^ \[x\] Done long\.$/);
  });

  it('prefetch 1 dispatches fairly: a slow worker takes fewer tasks than a fast one', async () => {
    const slow = worker('--dot-ms', '1000');
    const fast = worker('--dot-ms', '20');
    await slow.waitFor(/Waiting for messages/);
    await fast.waitFor(/Waiting for messages/);
    await tasks(...Array.from({ length: 30 }, (_, i) => `t${i}.`));
    await eventually(() => slow.matching(/Done/).length + fast.matching(/Done/).length === 30
      || (fast.matching(/Done/).length + slow.matching(/Received/).length === 30), 20_000, 'all 30 tasks');
    // Round-robin without prefetch would give each 15.
    expect(slow.matching(/Received/).length).toBeLessThanOrEqual(3);
    expect(fast.matching(/Received/).length).toBeGreaterThanOrEqual(27);
  });

  it('a 10 MB task is worked on, and echoed cut to one short line', async () => {
    const w = worker('--dot-ms', '0');
    await w.waitFor(/Waiting for messages/);
    await tasks('t'.repeat(10_000_000));
    await w.waitFor(/Done/);
    expect(w.matching(/Received|Done/).map((line) => line.length).every((n) => n < 300)).toBe(true);
    expect(w.matching(/Done/)).toEqual([` [x] Done ${'t'.repeat(200)}... (10000000 characters)`]);
  });

  it('dead-letters tasks it cannot process (invalid UTF-8, empty) and goes on', async () => {
    const w = worker('--dot-ms', '0');
    await w.waitFor(/Waiting for messages/);
    await tasks(Buffer.from([0xff, 0xfe]), '', 'good');
    await w.waitFor(/Done good/);
    const connection = await vhost.connect();
    await eventually(async () => (await queueDepth(connection, 'task_queue.dead')) === 2, 10_000, '2 dead letters');
    // stderr is a pipe of its own: its lines may come after stdout's "Done good".
    await w.waitFor(/moved a message from 'task_queue' to 'task_queue.dead': The encoded data was not valid for encoding utf-8/);
    await w.waitFor(/moved a message from 'task_queue' to 'task_queue.dead': empty task/);
  });

  it('a poison task whose properties cannot be copied (a 64-bit timestamp header) is still set aside, and work goes on', async () => {
    const w = worker('--dot-ms', '0');
    await w.waitFor(/Waiting for messages/);
    // amqplib decodes this timestamp as a number it cannot encode again.
    const headers = { ts: { '!': 'timestamp', value: 2n ** 64n - 1n } };
    const connection = await vhost.connect();
    await tasks(); // declares task_queue
    await publishConfirmed(connection, '', [{ routingKey: 'task_queue', body: '', options: { persistent: true, headers } }]);
    await tasks('after.');
    await w.waitFor(/Done after\./);
    await eventually(async () => (await queueDepth(connection, 'task_queue.dead')) === 1, 10_000, 'the dead letter');
    const dead = await (await connection.createChannel()).get('task_queue.dead');
    expect(dead && dead.properties.headers).toMatchObject({
      'x-first-death-queue': 'task_queue', 'x-exception-message': 'empty task',
      'x-uncopied-properties': expect.stringMatching(/^its properties could not be copied: /),
    });
    expect(w.child.exitCode).toBeNull();
  });

  it('a task that keeps crashing workers is dead-lettered after --max-deliveries, not looped for ever', async () => {
    await tasks('crash.', 'next');
    for (let i = 0; i < 2; i++) {
      const w = worker('--dot-ms', '60000', '--max-deliveries', '2');
      await w.waitFor(/Received crash\./);
      w.kill('SIGKILL');
      await w.exited;
    }
    const last = worker('--dot-ms', '0', '--max-deliveries', '2');
    await last.waitFor(/Done next/);
    expect(last.matching(/Received crash/)).toHaveLength(0);
    await last.waitFor(/to 'task_queue.dead': delivered 3 times without being acked/); // stderr: may come after stdout's line
  });

  it.each([
    ['many-tasks', ['--count', 'abc'], /^error: --count must be a whole number from 1 to 100000000 \(got "abc"\)\nusage: many-tasks/],
    ['many-tasks', ['job'], /^error: --count is required\nusage: many-tasks/],
    ['new-task', ['--count', '5'], /^error: Unknown option '--count'\nusage: new-task/],
    ['new-task', ['--bogus'], /^error: Unknown option '--bogus'\nusage: new-task/],
    ['worker', ['--prefetch', '0'], /^error: --prefetch must be a whole number from 1 to 65535 \(got "0"\)\nusage: worker/],
  ])('%s %j: usage error, exit 2', async (role, args, stderr) => {
    const result = await runApp('task-queue', role, args, vhost.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(stderr);
  });
});
