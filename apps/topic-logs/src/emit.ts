// Topics (tutorial 5), the publisher: sends a log message to the topic exchange "topic_logs" with a
// dotted routing key (e.g. kern.critical); queues whose binding pattern matches it get it.
import { parseArgs } from 'node:util';
import { UsageError, connect, log, main, messageText, printable } from '@rabbit-tutorials/connection';

const EXCHANGE = 'topic_logs';

main(`emit [routing.key] [message... | -]   (default: anonymous.info Hello World!; - reads standard input)
Publishes a log message to the topic exchange "topic_logs" with a dotted routing key.
Example: npx nx run topic-logs:emit -- kern.critical "A critical kernel error"`, async () => {
  const { positionals: [key = 'anonymous.info', ...words] } = parseArgs({ allowPositionals: true });
  const text = await messageText(words, 'Hello World!');
  if (Buffer.byteLength(key) > 255) throw new UsageError(`the routing key is at most 255 bytes (got ${Buffer.byteLength(key)})`);

  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(EXCHANGE, 'topic', { durable: false });
  // mandatory: a message no queue is bound for comes back (basic.return) instead of vanishing unseen.
  channel.on('return', (message) => log(`no queue is bound for '${printable(message.fields.routingKey)}' on exchange '${EXCHANGE}': that message was dropped`));
  channel.publish(EXCHANGE, key, Buffer.from(text), { mandatory: true });
  await channel.waitForConfirms(); // a returned message is returned before it is confirmed
  console.log(` [x] Sent ${printable(key)}:${printable(text)}`);
  await channel.close();
  await connection.close();
});
