// Topics (tutorial 5), a subscriber: prints the log messages whose routing key matches a binding key
// given ("*" is exactly one word, "#" zero or more), through a temporary queue bound once per key.
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { UsageError, connect, main, printable, untilShutdown } from '@rabbit-tutorials/connection';

const EXCHANGE = 'topic_logs';
const utf8 = new TextDecoder('utf-8', { fatal: false }); // a log line with a bad byte is still shown

main(`receive <binding.key>... (e.g. "kern.*" "*.critical" "#")
Prints the messages of "topic_logs" whose routing key matches a binding key given ("*": one word,
"#": zero or more), through a temporary queue bound once per key.
Example: npx nx run topic-logs:receive -- "kern.*" "*.critical"`, async () => {
  const { positionals: bindingKeys } = parseArgs({ allowPositionals: true });
  if (bindingKeys.length === 0) throw new UsageError('name at least one binding key');
  // AMQP keys are short strings: checked here, or the broker would end the connection mid-setup.
  for (const key of bindingKeys) if (Buffer.byteLength(key) > 255) throw new UsageError(`a binding key is at most 255 bytes (got ${Buffer.byteLength(key)})`);
  let channel: Channel;

  const connection = await connect({
    // On every (re)connection: the temporary queue died with the old connection, so make a new one.
    async setup(connection) {
      channel = await connection.createChannel();
      await channel.assertExchange(EXCHANGE, 'topic', { durable: false });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      for (const key of bindingKeys) await channel.bindQueue(queue, EXCHANGE, key);
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
