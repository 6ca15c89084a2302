// Single active consumer: several receivers wait on single_active_queue, the broker delivers to one of them at
// a time, so the messages are handled in order. When the active one goes (a crash, a kill, Ctrl+C), the next
// one takes over where it left off: what it had not acked is delivered again first, in order.
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { connect, intOption, loadConfig, log, main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';

const QUEUE = 'single_active_queue';
const utf8 = new TextDecoder('utf-8', { fatal: true });

main(`receive [--name NAME] [--prefetch N] [--work-ms MS]
Waits on "single_active_queue" (durable, quorum, x-single-active-consumer): of all the receivers, one at a time
gets its messages, in order; the others wait and take over, in order, when it goes. Prints each message (prefixed
by --name, default the process id), works --work-ms (default 0) and acks after the work; --prefetch (default 10).
Example: npx nx run single-active-consumer:receive -- --name A`, async () => {
  const { values } = parseArgs({ options: { name: { type: 'string' }, prefetch: { type: 'string' }, 'work-ms': { type: 'string' } } });
  const name = printable(values.name ?? String(process.pid), 40);
  const prefetch = intOption('prefetch', values.prefetch, 10, 1, 65535);
  const workMs = intOption('work-ms', values['work-ms'], 0, 0, 3_600_000);
  const config = loadConfig();
  let channel: Channel;
  let consumerTag: string;
  let working = Promise.resolve();
  let active = false;

  const connection = await connect({
    config,
    async setup(connection) {
      // The message is settled on the channel that delivered it (after a reconnect, `channel` is a new one).
      const delivering = channel = await connection.createChannel();
      // A broker without single active consumer (or a queue declared without it) delivers round-robin to every
      // receiver: the order across them is lost.
      await channel.assertQueue(QUEUE, { durable: true, arguments: { 'x-single-active-consumer': true, ...(config.queueType === 'quorum' && { 'x-queue-type': 'quorum' }) } });
      await channel.prefetch(prefetch);
      active = false;
      ({ consumerTag } = await channel.consume(QUEUE, (message) => {
        if (!message) return stop(`the broker cancelled the consumer of '${QUEUE}' (was the queue deleted?)`);
        if (!active) console.log(` [*] ${name} is the active consumer now`);
        active = true;
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
          console.log(` [x] ${name} received '${printable(text)}'${message.fields.redelivered ? ' (redelivered)' : ''}`);
          delivering.ack(message); // after the work
        }).catch((err) => log(`could not settle a message: ${(err as Error).message}; the broker will deliver it again`));
      }));
      console.log(` [*] Waiting for messages as ${name} (one receiver at a time is active). To exit press CTRL+C`);
    },
  });

  await untilShutdown(connection);
  await channel!.cancel(consumerTag!).catch(() => undefined); // the next receiver takes over
  await working; // the message in progress is finished and acked
  await channel!.close().catch(() => undefined); // first: its close-ok proves the broker has our acks
  await connection.close();
});
