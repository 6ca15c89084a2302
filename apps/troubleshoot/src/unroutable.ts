// Unroutable messages: an exchange with no queue bound for a message drops it, and the publisher hears
// nothing (even a confirm says only that the broker handled it). Fix: publish with mandatory, so the
// broker returns what it cannot route (basic.return); bind a queue for it.
import { parseArgs } from 'node:util';
import { connect, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main(`unroutable
Publishes with mandatory to an exchange of its own with no queue bound: the broker returns the message (basic.return).
Example: npx nx run troubleshoot:unroutable`, async () => {
  parseArgs({});
  const connection = await connect();
  try {
    const exchange = unique('exchange');
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(exchange, 'direct', { autoDelete: true });
    const returned = new Promise<never>((_, reject) => channel.once('return', (message) => reject(new Error(
      `the broker returned a message for '${message.fields.routingKey}': no queue is bound for it on '${exchange}' (it would have been dropped)`))));
    const shown = reproduce(returned); // listening before the return can come (RabbitMQ 4 sends it apart from the confirm)
    channel.publish(exchange, 'nobody', Buffer.from('lost'), { mandatory: true });
    await channel.waitForConfirms(); // confirmed all the same: a confirm is not a delivery
    await shown;

    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, 'nobody');
    channel.publish(exchange, 'nobody', Buffer.from('kept'), { mandatory: true });
    await channel.waitForConfirms();
    fixed(`bound a queue for 'nobody': the message is routed (${(await channel.checkQueue(queue)).messageCount} in the queue)`);
  } finally {
    await connection.close();
  }
});
