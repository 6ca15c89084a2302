// The worker's production parts: graceful shutdown (bounded), a conflicting declare, its queue
// deleted under it.
import { describe, expect, it } from 'vitest';
import { publishConfirmed, queueDepth, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
const QUORUM = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

function worker(args: string[], env: Record<string, string> = {}) {
  return startApp('task-queue', 'worker', args, { ...vhost.env, ...env });
}

async function tasks(...bodies: string[]) {
  const connection = await vhost.connect();
  await (await connection.createChannel()).assertQueue('task_queue', QUORUM);
  await publishConfirmed(connection, '', bodies.map((body) => ({ routingKey: 'task_queue', body, options: { persistent: true } })));
}

const depth = async () => queueDepth(await vhost.connect(), 'task_queue');

describe('worker shutdown and failures', () => {
  it('on SIGTERM finishes the running task, acks it, takes no other, and exits 0', async () => {
    const w = worker(['--dot-ms', '300']);
    await w.waitFor(/Waiting for messages/);
    await tasks('a.....', 'b.....');
    await w.waitFor(/Received a\.\.\.\.\.$/);
    w.kill('SIGTERM');
    const { code } = await w.exited;
    expect(code).toBe(0);
    expect(w.stdout).toContain(' [x] Done a.....');
    expect(w.matching(/Received b/)).toEqual([]);
    expect(await depth()).toBe(1); // a acked; b never started and still queued
  });

  it('bounds the wait: a task slower than RABBITMQ_SHUTDOWN_TIMEOUT_MS is left for redelivery', async () => {
    const w = worker(['--dot-ms', '30000'], { RABBITMQ_SHUTDOWN_TIMEOUT_MS: '300' });
    await w.waitFor(/Waiting for messages/);
    await tasks('slow.');
    await w.waitFor(/Received slow\./);
    const started = Date.now();
    w.kill('SIGINT');
    const { code } = await w.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(w.stderr.join('\n')).toMatch(/1 message\(s\) still in progress; the broker will redeliver them/);
    expect(await depth()).toBe(1);
  });

  it('very long work (600 dots of an hour) is still in progress, not finished at once by an overflowing timer', async () => {
    const w = worker(['--dot-ms', '3600000'], { RABBITMQ_SHUTDOWN_TIMEOUT_MS: '500' });
    await w.waitFor(/Waiting for messages/);
    await tasks(`long${'.'.repeat(600)}`);
    await w.waitFor(/Received long/);
    w.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
    expect(w.stderr.join('\n')).toMatch(/1 message\(s\) still in progress; the broker will redeliver them/);
    expect(w.stderr.join('\n')).not.toMatch(/TimeoutOverflowWarning/);
    expect(w.matching(/Done/)).toEqual([]);
    expect(await depth()).toBe(1);
  });

  it('a declare that conflicts with the existing queue (406) ends it with one clear line, exit 1', async () => {
    const connection = await vhost.connect();
    await (await connection.createChannel()).assertQueue('task_queue', { durable: true, arguments: { 'x-queue-type': 'classic' } });
    const w = worker([]);
    const { code } = await w.exited;
    expect(code).toBe(1);
    expect(w.stderr).toEqual([`error: queue 'task_queue' in vhost '${vhost.name}' already exists with x-queue-type = 'classic', ` +
      `but this program declares x-queue-type = 'quorum': declare it with the same arguments, or delete it ` +
      `(rabbitmqctl delete_queue -p ${vhost.name} task_queue) if its messages can go (406 PRECONDITION_FAILED)`]);
  });

  it('exits 1 with a clear line when its queue is deleted under it', async () => {
    const w = worker([]);
    await w.waitFor(/Waiting for messages/);
    await (await (await vhost.connect()).createChannel()).deleteQueue('task_queue');
    const { code } = await w.exited;
    expect(code).toBe(1);
    expect(w.stderr.join('\n')).toMatch(/error: the broker cancelled the consumer of 'task_queue' \(was the queue deleted\? or, from RabbitMQ 4\.3, a message held unacked past its consumer timeout\)/);
  });
});
