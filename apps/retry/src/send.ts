// Delayed retry, the producer: publishes each message persistent, with a message id (what the worker's
// exactly-once handling keys on), and exits once the broker has confirmed them all.
// Each "!" in a message makes the worker fail one attempt: "pay!!" is retried twice, then done.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connect, intOption, loadConfig, main, messageText, printable } from '@rabbit-tutorials/connection';
import { WORK, workQueue } from './topology.js';

main(`send [--count N] [message... | -]   (- reads it from standard input; --count N: N numbered copies)
Publishes persistent messages with a message id to "retry.work" and exits 0 once all are confirmed;
each "!" in a message fails one attempt in the worker.
Example: npx nx run retry:send -- "pay!!"`, async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { count: { type: 'string', short: 'n' } } });
  const count = intOption('count', values.count, 1, 1, 1_000_000);
  const text = await messageText(positionals, 'Hello World!');

  const connection = await connect({ config: loadConfig() });
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(WORK, workQueue());
  for (let i = 1; i <= count; i++) {
    const body = count === 1 ? text : `${text} #${i}`;
    const messageId = randomUUID(); // a new id per message; a message published again keeps its id
    if (!channel.sendToQueue(WORK, Buffer.from(body), { persistent: true, messageId, contentType: 'text/plain' })) {
      await new Promise((resolve) => channel.once('drain', resolve)); // the socket's buffer is full
    }
    if (i % 1000 === 0) await channel.waitForConfirms(); // at most 1,000 unconfirmed at a time
    if (count <= 10) console.log(` [x] Sent ${printable(body)} (id ${messageId})`);
  }
  await channel.waitForConfirms();
  if (count > 10) console.log(` [x] Sent ${count} messages`);
  await channel.close();
  await connection.close();
});
