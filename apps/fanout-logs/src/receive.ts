// Publish/subscribe (tutorial 3), a subscriber: prints every message published to "logs" from now
// on, through a temporary queue of its own (exclusive, server-named, gone with the connection).
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { connect, main, printable, untilShutdown } from '@rabbit-tutorials/connection';

const EXCHANGE = 'logs';
const utf8 = new TextDecoder('utf-8', { fatal: false }); // a log line with a bad byte is still shown

main(`receive
Prints every message published to the fanout exchange "logs" from now on, through a temporary queue of
its own (exclusive, server-named, bound to "logs").
Example: npx nx run fanout-logs:receive`, async () => {
  parseArgs({}); // takes no arguments
  let channel: Channel;

  const connection = await connect({
    // On every (re)connection: the temporary queue died with the old connection, so make a new one.
    async setup(connection) {
      channel = await connection.createChannel();
      await channel.assertExchange(EXCHANGE, 'fanout', { durable: false });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, EXCHANGE, '');
      // noAck as in the tutorial: a log line lost in a crash is acceptable here.
      await channel.consume(queue, (message) => message && console.log(` [x] ${printable(utf8.decode(message.content))}`), { noAck: true });
      console.log(' [*] Waiting for logs. To exit press CTRL+C');
    },
  });

  await untilShutdown(connection);
  await channel!.close().catch(() => undefined);
  await connection.close();
});
