// Work queues (tutorial 2), the producer: queues one task (each "." in it is a second of work) as a
// persistent message and exits once the broker has confirmed it. With --count N it publishes N
// numbered tasks with pipelined confirms and survives a broker restart (see bulk.ts).
import { parseArgs } from 'node:util';
import { UsageError, connect, intOption, loadConfig, main, messageText, printable } from '@rabbit-tutorials/connection';
import { publishNumbered } from './bulk.js';

const QUEUE = 'task_queue';

main(`new-task [--count N] [--window N] [message... | -]   (- reads it from standard input)
Queues a persistent task on "task_queue" (durable, quorum), each "." a second of work, and exits 0 once
confirmed. --count N: N numbered tasks, up to --window (default 1000) awaiting their confirm at once, published
again after a connection loss until all are confirmed.
Example: npx nx run task-queue:new-task -- "A task..."`, async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { count: { type: 'string', short: 'n' }, window: { type: 'string' } },
  });
  const count = intOption('count', values.count, 0, 1, 100_000_000);
  const window = intOption('window', values.window, 1000, 1, 1_000_000);
  if (values.window !== undefined && !count) throw new UsageError('--window goes with --count');
  const text = await messageText(positionals, 'Hello World!');
  const config = loadConfig();
  // A durable quorum queue, as the official tutorial declares it; RABBITMQ_QUEUE_TYPE=classic: durable,
  // no x-queue-type, as the classic tutorials did, to share it with their programs.
  const queueOptions = config.queueType === 'classic' ? { durable: true } : { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  if (count) return publishNumbered(QUEUE, queueOptions, text, count, window);

  const connection = await connect({ config });
  const channel = await connection.createConfirmChannel();
  // Durable queue + persistent message: the task survives a broker restart.
  await channel.assertQueue(QUEUE, queueOptions);
  channel.sendToQueue(QUEUE, Buffer.from(text), { persistent: true });
  await channel.waitForConfirms();
  console.log(` [x] Sent ${printable(text)}`);
  await channel.close();
  await connection.close();
});
