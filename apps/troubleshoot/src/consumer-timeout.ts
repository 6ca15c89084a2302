// A consumer kept a message unacked longer than the broker's consumer timeout (30 minutes by default). Before
// RabbitMQ 4.3 the broker closes the channel (406 PRECONDITION_FAILED, delivery acknowledgement timed out); from
// 4.3 it cancels the consumer (basic.cancel). Either way the message goes back to the queue. Fix: ack sooner (or
// raise the timeout: consumer_timeout, or the queue argument x-consumer-timeout from RabbitMQ 3.12). This queue
// asks for --timeout-ms (default 5000).
import { parseArgs } from 'node:util';
import type { Channel, ConsumeMessage } from 'amqplib';
import { connect, intOption, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main(`consumer-timeout [--timeout-ms N]
Holds a message of a queue of its own unacked past the queue's consumer timeout (--timeout-ms): the broker closes
the channel (before 4.3) or cancels the consumer (4.3), and the message goes back.
Example: npx nx run troubleshoot:consumer-timeout`, async () => {
  const { values } = parseArgs({ options: { 'timeout-ms': { type: 'string' } } });
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 5000, 1000, 3_600_000);
  const connection = await connect();
  try {
    const queue = unique('queue');
    const setup = await connection.createChannel();
    await setup.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-consumer-timeout': timeoutMs } });
    setup.sendToQueue(queue, Buffer.from('slow work'), { persistent: true });
    let cancelled = () => undefined as void;
    const consumeOne = async (channel: Channel) => new Promise<ConsumeMessage>((resolve) => void channel.consume(queue, (m) => (m ? resolve(m) : cancelled())));

    const slow = await connection.createChannel();
    const timedOut = new Promise<never>((_, reject) => {
      slow.once('error', reject);
      cancelled = () => {
        // Closed at once: RabbitMQ 4.3.6 may still deliver to the cancelled consumer, which amqplib takes for a
        // protocol error ("Unknown consumer") that ends the connection; a closing channel ignores it.
        void slow.close().catch(() => undefined);
        reject(new Error(`the broker cancelled the consumer: a delivery was not acked within its consumer timeout ` +
          `(${timeoutMs} ms asked); the message goes back to the queue; ack sooner, or raise consumer_timeout (basic.cancel)`));
      };
    });
    await consumeOne(slow); // ... and never acked
    console.log(` [*] Holding a message without acking it; the broker gives up after its consumer timeout (${timeoutMs} ms asked).`);
    await reproduce(timedOut);

    const prompt = await connection.createChannel();
    const again = await consumeOne(prompt);
    prompt.ack(again);
    await prompt.close();
    await setup.deleteQueue(queue);
    fixed(`acked in time: '${again.content}' (redelivered: ${again.fields.redelivered})`);
  } finally {
    await connection.close();
  }
});
