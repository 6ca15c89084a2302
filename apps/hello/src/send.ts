// "Hello World" (tutorial 1), the producer: sends one message to the queue "hello" and exits once
// the broker has confirmed it, so exit code 0 means the message is safely in the queue.
import { parseArgs } from 'node:util';
import { connect, loadConfig, main, messageText, printable } from '@rabbit-tutorials/connection';

const QUEUE = 'hello';

main(`send [message... | -]   (default: Hello World!; - reads it from standard input)
Sends one persistent message to the queue "hello" (declared as receive declares it) and exits 0 once
the broker has confirmed it.
Example: npx nx run hello:send -- "Hello World!"`, async () => {
  const { positionals } = parseArgs({ allowPositionals: true });
  const text = await messageText(positionals, 'Hello World!');

  const config = loadConfig();
  // Declared exactly as the official tutorial does (a durable quorum queue), so either side may start first;
  // RABBITMQ_QUEUE_TYPE=classic: declared as the classic tutorials did, to share it with their programs.
  const queueOptions = config.queueType === 'classic' ? { durable: false } : { durable: true, arguments: { 'x-queue-type': 'quorum' } };

  const connection = await connect({ config });
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(QUEUE, queueOptions);
  // The default exchange ('') routes by queue name; persistent: kept across a broker restart.
  channel.sendToQueue(QUEUE, Buffer.from(text), { persistent: true });
  await channel.waitForConfirms();
  console.log(` [x] Sent '${printable(text)}'`);
  await channel.close();
  await connection.close();
});
