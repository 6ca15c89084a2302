// Priority queue, the producer: sends persistent messages to priority_queue with a priority (the higher,
// the sooner delivered: see queue.ts) and exits once the broker has confirmed them all.
import { parseArgs } from 'node:util';
import { connect, intOption, loadConfig, main, messageText, printable } from '@rabbit-tutorials/connection';
import { QUEUE, queueOptions } from './queue.js';

main(`send [--priority N] [--count N] [message... | -]   (- reads it from standard input)
Sends a persistent message to "priority_queue" (durable; quorum: priority 5 and above overtakes 0-4, RabbitMQ
4.0+; RABBITMQ_QUEUE_TYPE=classic: x-max-priority 10, levels 0-9) with --priority (0-255, default 0); --count N:
N of them, numbered "#1" to "#N". Exits 0 once the broker has confirmed them.
Example: npx nx run priority:send -- --priority 9 "urgent"`, async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { priority: { type: 'string', short: 'p' }, count: { type: 'string', short: 'n' } } });
  const priority = intOption('priority', values.priority, 0, 0, 255);
  const count = intOption('count', values.count, 1, 1, 1_000_000);
  const text = await messageText(positionals, 'Hello World!');

  const config = loadConfig();
  const connection = await connect({ config });
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(QUEUE, queueOptions(config, connection));
  for (let i = 1; i <= count; i++) {
    const body = count === 1 ? text : `${text} #${i}`;
    // Full buffer: wait until amqplib has written what it holds (backpressure), then go on.
    if (!channel.sendToQueue(QUEUE, Buffer.from(body), { persistent: true, priority })) await new Promise((resolve) => channel.once('drain', resolve));
  }
  await channel.waitForConfirms();
  console.log(` [x] Sent ${count === 1 ? `'${printable(text)}'` : `${count} messages '${printable(text)} #1..${count}'`} with priority ${priority}`);
  await channel.close();
  await connection.close();
});
