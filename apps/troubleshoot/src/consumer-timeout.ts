// 406 PRECONDITION_FAILED, delivery acknowledgement timed out: a consumer kept a message unacked longer
// than the broker's consumer timeout (30 minutes by default). The broker closes the channel and delivers
// the message again. Fix: ack sooner (or raise the timeout: consumer_timeout, or the queue argument
// x-consumer-timeout from RabbitMQ 3.12). This queue asks for --timeout-ms (default 5000).
import { parseArgs } from 'node:util';
import type { Channel, ConsumeMessage } from 'amqplib';
import { connect, intOption, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main('consumer-timeout [--timeout-ms N]', async () => {
  const { values } = parseArgs({ options: { 'timeout-ms': { type: 'string' } } });
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 5000, 1000, 3_600_000);
  const connection = await connect();
  try {
    const queue = unique('queue');
    const setup = await connection.createChannel();
    await setup.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-consumer-timeout': timeoutMs } });
    setup.sendToQueue(queue, Buffer.from('slow work'), { persistent: true });
    const consumeOne = async (channel: Channel) => new Promise<ConsumeMessage>((resolve) => void channel.consume(queue, (m) => m && resolve(m)));

    const slow = await connection.createChannel();
    const closed = new Promise<never>((_, reject) => slow.once('error', reject));
    await consumeOne(slow); // ... and never acked
    console.log(` [*] Holding a message without acking it; the broker gives up after its consumer timeout (${timeoutMs} ms asked).`);
    await reproduce(closed);

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
