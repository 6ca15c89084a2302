// What RabbitMQ 4 does differently from 3.x where a user's code or ours meets it (docs/configuration.md,
// "From RabbitMQ 3.x to 4.3"), pinned on the suite's platform; on an older broker each test says why it skips.
import type { Channel } from 'amqplib';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, loadConfig } from '@rabbit-tutorials/connection';
import { brokerAtLeast, brokerVersion, destroyLocalBroker, hasLocalRabbitmq, launchLocalBroker, publishConfirmed, runApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
let tooOld: string | undefined;
beforeAll(async () => {
  if (!(await brokerAtLeast(4, 3))) tooOld = `RabbitMQ ${await brokerVersion()}: these are RabbitMQ 4.3's rules`;
});

async function channel(): Promise<Channel> {
  return (await vhost.connect()).createChannel();
}

async function publish(queue: string, bodies: string[]): Promise<void> {
  await publishConfirmed(await vhost.connect(), '', bodies.map((body) => ({ routingKey: queue, body })));
}

describe('RabbitMQ 4.3', () => {
  it('a transient shared queue (the classic tutorials\' hello): permitted by default, with a warning; a broker that denies it gets our one line', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    if (!hasLocalRabbitmq()) return ctx.skip('no local rabbitmq-server to start a broker that denies the feature');
    const classic = { ...vhost.env, RABBITMQ_QUEUE_TYPE: 'classic' };
    expect(await runApp('hello', 'send', ['to a transient hello'], classic)).toMatchObject({ code: 0, stderr: '' });
    // As RabbitMQ's own 4.3.0 release notes announce it: denied unless permitted.
    const denying = await launchLocalBroker({ layers: () => ({ '20-deny.conf': 'deprecated_features.permit.transient_nonexcl_queues = false\n' }) });
    try {
      const sent = await runApp('hello', 'send', ['x'], { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${denying.ports.amqp}/`, RABBITMQ_QUEUE_TYPE: 'classic', RABBITMQ_CONNECTION_ATTEMPTS: '1' });
      expect(sent.code).toBe(1);
      expect(sent.stderr).toMatch(/^error: this broker refuses non-durable shared queues \(RabbitMQ 4\.3 and later\): use RABBITMQ_QUEUE_TYPE=quorum, or permit them in its configuration with deprecated_features\.permit\.transient_nonexcl_queues = true \(\d{3} [A-Z_]+\)$/);
      // The quorum declaration the tutorials use today is unaffected.
      expect((await runApp('hello', 'send', ['x'], { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${denying.ports.amqp}/` })).code).toBe(0);
    } finally {
      await destroyLocalBroker(denying);
    }
  }, 90_000);

  it('global QoS (basic.qos global=true) is denied: the call succeeds, and the limit applies to each consumer', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    const ch = await channel();
    for (const q of ['a', 'b']) {
      await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await publish(q, ['1', '2', '3']);
    }
    await ch.prefetch(1, true); // one unacked message for the whole channel, on RabbitMQ 3.x
    const unacked: string[] = [];
    for (const q of ['a', 'b']) await ch.consume(q, (m) => m && unacked.push(`${q}${m.content}`));
    await expect.poll(() => unacked.length).toBe(2);
    expect(unacked.sort()).toEqual(['a1', 'b1']); // one per consumer, as prefetch(1) without global
  });

  it('x-queue-mode (lazy classic queues) is accepted and has no effect: every classic queue pages to disk on its own', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    const ch = await channel();
    const declared = await ch.assertQueue('lazy', { durable: true, arguments: { 'x-queue-mode': 'lazy' } });
    expect(declared.queue).toBe('lazy');
  });

  it('quorum queues drop a message after 20 failed deliveries (the default delivery-limit): the worker\'s --max-deliveries stays within it', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    const config = loadConfig(vhost.env);
    const setup = await channel();
    await setup.assertQueue('crashes', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await publish('crashes', ['poison']);
    // A consumer that dies holding the message: a failed delivery, counted in x-delivery-count.
    const counts: number[] = [];
    for (;;) {
      const connection = await connect({ config, name: 'crashing consumer' });
      const ch = await connection.createChannel();
      const message = await ch.get('crashes');
      if (!message) {
        await connection.close();
        break;
      }
      counts.push(Number(message.properties.headers?.['x-delivery-count'] ?? 0));
      await connection.close(); // unacked: returned as a failed delivery
      if (counts.length > 25) break;
    }
    expect(counts).toEqual(Array.from({ length: 21 }, (_, i) => i));
    // The worker sets a task aside at --max-deliveries, before the broker drops it: at most 20.
    const over = await runApp('task-queue', 'worker', ['--max-deliveries', '21'], vhost.env);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/--max-deliveries must be a whole number from 1 to 20/);
  }, 60_000);
});
