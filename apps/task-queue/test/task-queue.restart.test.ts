import { describe, expect, it } from 'vitest';
import { cannotRestart, eventually, publishConfirmed, queueDepth, restart, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('task-queue across a broker restart', () => {
  it('confirmed persistent tasks survive the restart and are all worked on', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    const sent = await runApp('task-queue', 'many-tasks', ['--count', '500', 'durable'], vhost.env);
    expect(sent.code).toBe(0);

    await restart();

    const connection = await vhost.connect();
    expect(await queueDepth(connection, 'task_queue')).toBe(500);
    const worker = startApp('task-queue', 'worker', ['--dot-ms', '0', '--prefetch', '50'], vhost.env);
    await worker.waitFor(/^ \[x\] Done /, 500, 30_000);
    const ids = new Set(worker.matching(/^ \[x\] Done durable #\d+$/).map((line) => line.replace(/.*#/, '')));
    expect(ids.size).toBe(500);
    await eventually(async () => (await queueDepth(connection, 'task_queue')) === 0);
  });

  it('a running worker reconnects by itself (amqplib recovery re-runs its setup) and works again', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    const worker = startApp('task-queue', 'worker', ['--dot-ms', '0'], vhost.env);
    await worker.waitFor(/Waiting for messages/);
    const publish = async (body: string) => publishConfirmed(await vhost.connect(), '', [{ routingKey: 'task_queue', body, options: { persistent: true } }]);
    await publish('before');
    await worker.waitFor(/^ \[x\] Done before$/);

    await restart();
    await worker.waitFor(/reconnected to amqp:\/\/\S+; topology and consumers restored/, 1, 60_000);
    await worker.waitFor(/Waiting for messages/, 2);
    await publish('after');
    await worker.waitFor(/^ \[x\] Done after$/);
    await worker.waitFor(/connection lost: .*; reconnecting/); // stderr, a pipe of its own
    expect((await worker.stop('SIGTERM')).code).toBe(0);
  });
});
