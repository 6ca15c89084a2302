// Single active consumer, the producer: sends numbered persistent messages ("<text> #1" ... "#N", message ids
// 1..N) to single_active_queue and exits once the broker has confirmed them all.
import { parseArgs } from 'node:util';
import { connect, intOption, loadConfig, main, messageText, printable } from '@rabbit-tutorials/connection';

const QUEUE = 'single_active_queue';

main(`send [--count N] [message... | -]   (- reads it from standard input)
Sends N (--count, default 1) persistent messages "<message> #1" ... "#N" (message ids 1..N) to
"single_active_queue" (durable, quorum, x-single-active-consumer) and exits 0 once the broker has confirmed them.
Example: npx nx run single-active-consumer:send -- --count 100 order`, async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { count: { type: 'string', short: 'n' } } });
  const count = intOption('count', values.count, 1, 1, 1_000_000);
  const text = await messageText(positionals, 'step');

  const config = loadConfig();
  const connection = await connect({ config });
  const channel = await connection.createConfirmChannel();
  // Declared as receive declares it (the arguments must match): one consumer at a time gets the messages.
  await channel.assertQueue(QUEUE, { durable: true, arguments: { 'x-single-active-consumer': true, ...(config.queueType === 'quorum' && { 'x-queue-type': 'quorum' }) } });
  for (let i = 1; i <= count; i++) {
    const sent = channel.sendToQueue(QUEUE, Buffer.from(`${text} #${i}`), { persistent: true, messageId: String(i) });
    if (!sent) await new Promise((resolve) => channel.once('drain', resolve)); // amqplib's buffer is full: let it write
  }
  await channel.waitForConfirms();
  console.log(` [x] Sent '${printable(text)} #1' to '#${count}'`);
  await channel.close();
  await connection.close();
});
