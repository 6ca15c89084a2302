// Routing (tutorial 4), a subscriber: prints the log messages of the severities named on the command
// line, through a temporary queue bound to "direct_logs" once per severity.
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { UsageError, connect, main, printable, untilShutdown } from '@rabbit-tutorials/connection';

const EXCHANGE = 'direct_logs';
const utf8 = new TextDecoder('utf-8', { fatal: false }); // a log line with a bad byte is still shown

main(`receive <severity>... (e.g. info warning error)
Prints the messages of "direct_logs" whose severity is one of those given, through a temporary queue
bound once per severity.
Example: npx nx run direct-logs:receive -- warning error`, async () => {
  const { positionals: severities } = parseArgs({ allowPositionals: true });
  if (severities.length === 0) throw new UsageError('name at least one severity');
  // AMQP keys are short strings: checked here, or the broker would end the connection mid-setup.
  for (const key of severities) if (Buffer.byteLength(key) > 255) throw new UsageError(`a severity is at most 255 bytes (got ${Buffer.byteLength(key)})`);
  let channel: Channel;

  const connection = await connect({
    // On every (re)connection: the temporary queue died with the old connection, so make a new one.
    async setup(connection) {
      channel = await connection.createChannel();
      await channel.assertExchange(EXCHANGE, 'direct', { durable: false });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      for (const severity of severities) await channel.bindQueue(queue, EXCHANGE, severity);
      await channel.consume(queue, (message) => {
        if (message) console.log(` [x] ${printable(message.fields.routingKey)}:${printable(utf8.decode(message.content))}`);
      }, { noAck: true });
      console.log(' [*] Waiting for logs. To exit press CTRL+C');
    },
  });

  await untilShutdown(connection);
  await channel!.close().catch(() => undefined);
  await connection.close();
});
