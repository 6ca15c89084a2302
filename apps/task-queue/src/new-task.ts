// Work queues (tutorial 2), the producer: queues one task (each "." in it is a second of work) as a
// persistent message and exits once the broker has confirmed it.
import { parseArgs } from 'node:util';
import { connect, loadConfig, main, messageText, printable } from '@rabbit-tutorials/connection';

const QUEUE = 'task_queue';

main(`new-task [message... | -]   (- reads it from standard input)
Queues a persistent task on "task_queue" (durable, quorum), each "." a second of work, and exits 0 once
confirmed. Many numbered tasks at once (a load tool): npx nx run task-queue:many-tasks -- --count N
Example: npx nx run task-queue:new-task -- "A task..."`, async () => {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} }); // an unknown option: a usage error
  const text = await messageText(positionals, 'Hello World!');
  const config = loadConfig();
  const connection = await connect({ config });
  const channel = await connection.createConfirmChannel();
  // Durable queue + persistent message: the task survives a broker restart. A quorum queue, as the official
  // tutorial declares it; RABBITMQ_QUEUE_TYPE=classic: durable, no x-queue-type, as the classic tutorials did.
  await channel.assertQueue(QUEUE, config.queueType === 'classic' ? { durable: true } : { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  channel.sendToQueue(QUEUE, Buffer.from(text), { persistent: true });
  await channel.waitForConfirms();
  console.log(` [x] Sent ${printable(text)}`);
  await channel.close();
  await connection.close();
});
