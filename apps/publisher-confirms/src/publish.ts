// The three publisher-confirm strategies of the official tutorial, each publishing N persistent
// messages to a fresh durable queue and timing how long until the broker confirmed them all. Each run
// then counts the queue: every confirmed message must be there. The queues are deleted afterwards.
import { type ProducerContext, UsageError, intOption, main, parseCli, publishAll, quorumQueue, runProducer } from '@rabbit-tutorials/connection';
import type { ConfirmChannel } from 'amqplib';
import { randomUUID } from 'node:crypto';

const USAGE = 'publish [--count N] [--batch N] [--window N] [--strategy individually|batches|async|all]';
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

/** Strategy 2: publish a batch, then wait for the whole batch. A nack means republishing the batch. */
async function inBatches(channel: ConfirmChannel, queue: string, count: number, batch: number) {
  for (let i = 0; i < count; i++) {
    channel.sendToQueue(queue, body(i), { persistent: true });
    if ((i + 1) % batch === 0 || i === count - 1) await channel.waitForConfirms();
  }
}

/** Strategy 3: keep publishing; confirms arrive asynchronously; nacked messages are republished. */
async function asynchronously(channel: ConfirmChannel, queue: string, count: number, window: number) {
  await publishAll(channel, count, (i) => ({ exchange: '', routingKey: queue, content: body(i), options: { persistent: true } }), { window });
}

async function run(ctx: ProducerContext, strategy: Strategy, count: number, batch: number, window: number): Promise<string> {
  const { channel } = ctx;
  const queue = `publisher-confirms-${randomUUID()}`;
  await channel.assertQueue(queue, quorumQueue);
  try {
    const started = performance.now();
    if (strategy === 'individually') await individually(channel, queue, count);
    else if (strategy === 'batches') await inBatches(channel, queue, count, batch);
    else await asynchronously(channel, queue, count, window);
    const ms = performance.now() - started;
    const { messageCount } = await channel.checkQueue(queue);
    if (messageCount !== count) throw new Error(`${strategy}: ${count} confirmed but ${messageCount} in the queue`);
    const how = strategy === 'individually' ? 'individually' : strategy === 'batches' ? `in batches of ${batch}` : 'with asynchronous confirms';
    return `Published ${count.toLocaleString('en-US')} messages ${how} in ${Math.round(ms).toLocaleString('en-US')} ms ` +
      `(${Math.round(count / (ms / 1000)).toLocaleString('en-US')} msg/s); all confirmed, ${messageCount} counted in the queue`;
  } finally {
    await channel.deleteQueue(queue);
  }
}

main(async () => {
  const { values } = parseCli(process.argv.slice(2), {
    count: { type: 'string', short: 'n' },
    batch: { type: 'string' },
    window: { type: 'string' },
    strategy: { type: 'string' },
  });
  const count = intOption('count', values.count, 10_000, 1, 10_000_000);
  const batch = intOption('batch', values.batch, 100, 1, 1_000_000);
  const window = intOption('window', values.window, 1000, 1, 1_000_000);
  const chosen = values.strategy ?? 'all';
  if (chosen !== 'all' && !STRATEGIES.includes(chosen as Strategy)) {
    throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}, all (got "${chosen}")`);
  }
  await runProducer('publisher-confirms', async (ctx) => {
    for (const strategy of chosen === 'all' ? STRATEGIES : [chosen as Strategy]) {
      if (ctx.signal.aborted) break;
      console.log(await run(ctx, strategy, count, batch, window));
    }
  });
}, USAGE);
