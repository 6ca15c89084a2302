// Publisher confirms (tutorial 7): the three strategies of the official tutorial, each publishing N
// persistent messages to a fresh durable queue and timing how long until the broker confirmed them
// all; then the queue is counted (every confirmed message must be there) and deleted.
import { parseArgs } from 'node:util';
import type { ConfirmChannel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { UsageError, connect, intOption, main } from '@rabbit-tutorials/connection';

const STRATEGIES = ['individually', 'batches', 'async'] as const;
type Strategy = (typeof STRATEGIES)[number];
const body = (i: number) => Buffer.from(`message ${i}`);

/** Strategy 1: wait for each message's confirm before publishing the next. Simple, slowest. */
async function individually(channel: ConfirmChannel, queue: string, count: number) {
  for (let i = 0; i < count; i++) {
    channel.sendToQueue(queue, body(i), { persistent: true });
    await channel.waitForConfirms();
  }
}

/** Strategy 2: publish a batch, then wait for the whole batch. On a nack, republish the batch. */
async function inBatches(channel: ConfirmChannel, queue: string, count: number, batch: number) {
  for (let i = 0; i < count; i++) {
    channel.sendToQueue(queue, body(i), { persistent: true });
    if ((i + 1) % batch === 0 || i === count - 1) await channel.waitForConfirms();
  }
}

/**
 * Strategy 3: keep publishing while confirms arrive in callbacks; at most `window` await theirs (so
 * memory stays bounded), and a nacked message is published again.
 */
async function asynchronously(channel: ConfirmChannel, queue: string, count: number, window: number) {
  let outstanding = 0;
  let failure: Error | undefined;
  let room: (() => void) | undefined;
  const publish = (i: number, attempt = 0) => {
    outstanding++;
    channel.sendToQueue(queue, body(i), { persistent: true }, (err) => {
      outstanding--;
      if (err && attempt < 3 && err.message === 'message nacked') publish(i, attempt + 1);
      else if (err) failure ??= err;
      room?.();
    });
  };
  const until = (ready: () => boolean) => new Promise<void>((resolve) => {
    room = () => (ready() || failure) && resolve();
    room();
  });
  for (let i = 0; i < count && !failure; i++) {
    publish(i);
    if (outstanding >= window) await until(() => outstanding < window);
  }
  await until(() => outstanding === 0);
  if (failure) throw failure;
}

main(`publish [--count N] [--batch N] [--window N] [--strategy individually|batches|async|all]
Publishes --count (default 10000) persistent messages to a fresh durable queue with each strategy of the
tutorial (confirm each, --batch of 100, or asynchronously up to --window 1000 unconfirmed), times each, checks
the queue holds them all, deletes it.
Example: npx nx run publisher-confirms:publish -- --strategy async`, async () => {
  const { values } = parseArgs({ options: {
    count: { type: 'string', short: 'n' }, batch: { type: 'string' }, window: { type: 'string' }, strategy: { type: 'string' },
  } });
  const count = intOption('count', values.count, 10_000, 1, 10_000_000);
  const batch = intOption('batch', values.batch, 100, 1, 1_000_000);
  const window = intOption('window', values.window, 1000, 1, 1_000_000);
  const chosen = values.strategy ?? 'all';
  if (chosen !== 'all' && !STRATEGIES.includes(chosen as Strategy)) {
    throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}, all (got "${chosen}")`);
  }

  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  for (const strategy of chosen === 'all' ? STRATEGIES : [chosen as Strategy]) {
    const queue = `publisher-confirms-${randomUUID()}`;
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const started = performance.now();
    if (strategy === 'individually') await individually(channel, queue, count);
    else if (strategy === 'batches') await inBatches(channel, queue, count, batch);
    else await asynchronously(channel, queue, count, window);
    const ms = performance.now() - started;
    const { messageCount } = await channel.checkQueue(queue);
    await channel.deleteQueue(queue);
    if (messageCount !== count) throw new Error(`${strategy}: ${count} confirmed but ${messageCount} in the queue`);
    const how = { individually: 'individually', batches: `in batches of ${batch}`, async: 'with asynchronous confirms' }[strategy];
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    console.log(`Published ${n(count)} messages ${how} in ${n(ms)} ms (${n(count / (ms / 1000))} msg/s); all confirmed, ${messageCount} counted in the queue`);
  }
  await channel.close();
  await connection.close();
});
