// "Hello World" (tutorial 1), the consumer: prints every message of the queue "hello" until
// SIGINT/SIGTERM. It reconnects by itself after a broker restart (the setup runs again).
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { connect, loadConfig, log, main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';

const QUEUE = 'hello';
// fatal: bytes that are not UTF-8 are an error, not silently replaced.
const utf8 = new TextDecoder('utf-8', { fatal: true });

main(`receive
Waits on the queue "hello" (declared durable, a quorum queue; RABBITMQ_QUEUE_TYPE=classic: as the classic
tutorial) and prints each message, acked once printed, until Ctrl+C.
Example: npx nx run hello:receive`, async () => {
  parseArgs({}); // takes no arguments
  const config = loadConfig();
  // As the official tutorial declares it; RABBITMQ_QUEUE_TYPE=classic: declared as the classic tutorials did, to share it with their programs.
  const queueOptions = config.queueType === 'classic' ? { durable: false } : { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  let channel: Channel;
  let consumerTag: string;

  const connection = await connect({
    config,
    async setup(connection) {
      channel = await connection.createChannel();
      await channel.assertQueue(QUEUE, queueOptions);
      ({ consumerTag } = await channel.consume(QUEUE, (message) => {
        if (!message) return stop(`the broker cancelled the consumer of '${QUEUE}' (was the queue deleted? or, from RabbitMQ 4.3, a message held unacked past its consumer timeout)`);
        try {
          console.log(` [x] Received '${printable(utf8.decode(message.content))}'`); // escaped: the body is anyone's text
          channel.ack(message); // after the work: a crash before this line leaves the message in the queue
        } catch (err) {
          log(`rejected a message from '${QUEUE}' (${(err as Error).message}); it goes to the queue's dead-letter exchange, if any`);
          channel.nack(message, false, false);
        }
      }));
      console.log(' [*] Waiting for messages. To exit press CTRL+C');
    },
  });

  await untilShutdown(connection);
  await channel!.cancel(consumerTag!).catch(() => undefined);
  await channel!.close().catch(() => undefined); // first: its close-ok proves the broker has our acks
  await connection.close();
});
