import { describe, expect, it } from 'vitest';
import { startApp, useVhost } from '@rabbit-tutorials/testing';
import type { AppProcess } from '@rabbit-tutorials/testing';
import { join } from 'node:path';

const vhost = useVhost();

/** The fixture consumer (apps/../libs path), as a real process. */
function consumer(env: Record<string, string>): AppProcess {
  return startApp('../libs/connection/test', 'fixtures/slow-consumer', ['jobs'], { ...vhost.env, ...env });
}

async function publish(...bodies: string[]) {
  const connection = await vhost.connect();
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue('jobs', { durable: true });
  for (const body of bodies) channel.sendToQueue('jobs', Buffer.from(body), { persistent: true });
  await channel.waitForConfirms();
}

async function depth(queue = 'jobs') {
  const connection = await vhost.connect();
  const channel = await connection.createChannel();
  return (await channel.checkQueue(queue)).messageCount;
}

describe('runConsumer', () => {
  it('on SIGTERM lets the running handler finish, acks it, and exits 0', async () => {
    const app = consumer({ WORK_MS: '1500' });
    await app.waitFor(/^ready$/);
    await publish('a', 'b');
    await app.waitFor(/^started a$/);
    app.kill('SIGTERM');
    const { code } = await app.exited;
    expect(code).toBe(0);
    expect(app.stdout).toContain('done a');
    expect(app.stdout).not.toContain('started b');
    expect(await depth()).toBe(1); // 'a' acked, 'b' never started and still queued
  });

  it('bounds the wait: a handler slower than RABBITMQ_SHUTDOWN_TIMEOUT_MS is left for redelivery', async () => {
    const app = consumer({ WORK_MS: '30000', RABBITMQ_SHUTDOWN_TIMEOUT_MS: '300' });
    await app.waitFor(/^ready$/);
    await publish('slow');
    await app.waitFor(/^started slow$/);
    const started = Date.now();
    app.kill('SIGINT');
    const { code } = await app.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(app.stderr.join('\n')).toMatch(/1 message\(s\) still in progress; the broker will redeliver them/);
    expect(await depth()).toBe(1);
  });

  it('moves a message whose handler throws to the dead-letter queue, confirmed, and goes on', async () => {
    const app = consumer({});
    await app.waitFor(/^ready$/);
    await publish('poison', 'fine');
    await app.waitFor(/^done fine$/);
    expect(await depth()).toBe(0);
    expect(await depth('jobs.dead')).toBe(1);
    expect(app.stderr.join('\n')).toMatch(/moved a message from 'jobs' to 'jobs.dead': cannot process poison/);
  });

  it('a declare that conflicts with the existing queue (406) ends it with one clear line, exit 1', async () => {
    const connection = await vhost.connect();
    await (await connection.createChannel()).assertQueue('jobs', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const app = consumer({});
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.stderr).toEqual([`error: queue 'jobs' in vhost '${vhost.name}' already exists with x-queue-type = 'quorum', ` +
      `but this program declares x-queue-type = not set: declare it with the same arguments, or delete it ` +
      `(rabbitmqctl delete_queue -p ${vhost.name} jobs) if its messages can go (406 PRECONDITION_FAILED)`]);
  });

  it('exits 1 with a clear line when its queue is deleted under it', async () => {
    const app = consumer({});
    await app.waitFor(/^ready$/);
    const connection = await vhost.connect();
    const channel = await connection.createChannel();
    await channel.deleteQueue('jobs');
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.stderr.join('\n')).toMatch(/error: the broker cancelled the consumer of queue 'jobs' \(was it deleted\?\)/);
  });
});

export const fixture = join('libs', 'connection', 'test', 'fixtures', 'slow-consumer.ts');
