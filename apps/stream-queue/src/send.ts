// A stream read and written over AMQP 0-9-1: the producer appends messages to the stream
// hello-nodejs-stream (the one stream-hello writes over the stream protocol: same name, same
// retention) with amqplib and publisher confirms. A stream is a queue type, declared like any queue.
import { parseArgs } from 'node:util';
import { UsageError, connect, main, messageText, printable } from '@rabbit-tutorials/connection';

// Declared as the stream client creates it (max-length-bytes 5 GB), so either program may create it.
const STREAM_OPTIONS = { durable: true, arguments: { 'x-queue-type': 'stream', 'x-max-length-bytes': 5_000_000_000 } };

main(`send [--stream NAME] [message... | -]   (default: Test message)
Appends a message to the stream "hello-nodejs-stream" (--stream) over AMQP 0-9-1, with a publisher confirm;
the stream is declared as stream-hello declares it.
Example: npx nx run stream-queue:send -- "Hello over AMQP"`, async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { stream: { type: 'string' } } });
  const stream = values.stream ?? 'hello-nodejs-stream';
  if (Buffer.byteLength(stream) > 255) throw new UsageError('--stream is longer than 255 bytes');
  const text = await messageText(positionals, 'Test message');

  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(stream, STREAM_OPTIONS);
  channel.sendToQueue(stream, Buffer.from(text), { persistent: true });
  await channel.waitForConfirms(); // the stream has it: every consumer, now or later, can read it
  console.log(` [x] Sent '${printable(text)}'`);
  await channel.close();
  await connection.close();
});
