// Priority queue, the consumer: takes messages from priority_queue, highest priority first, and acks each
// after its work. The prefetch bounds how many are already on their way to this worker: a message that
// comes later overtakes everything still in the queue, not what is already delivered.
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { connect, intOption, loadConfig, log, main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';
import { QUEUE, queueOptions } from './queue.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

main(`worker [--prefetch N] [--work-ms MS] [--quiet]
Takes messages from "priority_queue" (durable; quorum: RabbitMQ 4.0+; RABBITMQ_QUEUE_TYPE=classic: x-max-priority
10), the higher priority first, works --work-ms each (default 0) and acks after the work; --prefetch (default 1)
messages at a time. Prints each with its priority. Ctrl+C waits for the message in progress.
Example: npx nx run priority:worker -- --prefetch 10`, async () => {
  const { values } = parseArgs({ options: { prefetch: { type: 'string' }, 'work-ms': { type: 'string' }, quiet: { type: 'boolean' } } });
  const prefetch = intOption('prefetch', values.prefetch, 1, 1, 65535);
  const workMs = intOption('work-ms', values['work-ms'], 0, 0, 3_600_000);
  const config = loadConfig();
  let channel: Channel;
  let consumerTag: string;
  let working = Promise.resolve();

  const connection = await connect({
    config,
    async setup(connection) {
      // The message is settled on the channel that delivered it (after a reconnect, `channel` is a new one).
      const delivering = channel = await connection.createChannel();
      await channel.assertQueue(QUEUE, queueOptions(config, connection));
      await channel.prefetch(prefetch);
      ({ consumerTag } = await channel.consume(QUEUE, (message) => {
        if (!message) return stop(`the broker cancelled the consumer of '${QUEUE}' (was the queue deleted?)`);
        // One at a time, in the order delivered: the order is the point.
        working = working.then(async () => {
          let text: string;
          try {
            text = utf8.decode(message.content);
          } catch (err) {
            log(`rejected a message from '${QUEUE}' (${(err as Error).message}); it goes to the queue's dead-letter exchange, if any`);
            return delivering.nack(message, false, false);
          }
          if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
          // The priority property is the publisher's: any number, or none (0).
          if (!values.quiet) console.log(` [x] Received '${printable(text)}' (priority ${Number(message.properties.priority ?? 0)})`);
          delivering.ack(message); // after the work
        }).catch((err) => log(`could not settle a message: ${(err as Error).message}; the broker will deliver it again`));
      }));
      console.log(' [*] Waiting for messages, highest priority first. To exit press CTRL+C');
    },
  });

  await untilShutdown(connection);
  await channel!.cancel(consumerTag!).catch(() => undefined);
  await working; // the message in progress is finished and acked
  await channel!.close().catch(() => undefined); // first: its close-ok proves the broker has our acks
  await connection.close();
});
