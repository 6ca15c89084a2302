// Routing (tutorial 4), the publisher: sends a log message to the direct exchange "direct_logs" with
// its severity as routing key; only queues bound with that exact key get it.
import { parseArgs } from 'node:util';
import { UsageError, connect, log, main, messageText, printable } from '@rabbit-tutorials/connection';

const EXCHANGE = 'direct_logs';

main(`emit [severity] [message... | -]   (default: info Hello World!; - reads it from standard input)
Publishes a log message to the direct exchange "direct_logs" with its severity as routing key.
Example: npx nx run direct-logs:emit -- error "Run. Run. Or it will explode."`, async () => {
  const { positionals: [severity = 'info', ...words] } = parseArgs({ allowPositionals: true });
  const text = await messageText(words, 'Hello World!');
  if (Buffer.byteLength(severity) > 255) throw new UsageError(`the severity is at most 255 bytes (got ${Buffer.byteLength(severity)})`);

  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(EXCHANGE, 'direct', { durable: false });
  // mandatory: a message no queue is bound for comes back (basic.return) instead of vanishing unseen.
  channel.on('return', (message) => log(`no queue is bound for '${printable(message.fields.routingKey)}' on exchange '${EXCHANGE}': that message was dropped`));
  channel.publish(EXCHANGE, severity, Buffer.from(text), { mandatory: true });
  await channel.waitForConfirms(); // a returned message is returned before it is confirmed
  console.log(` [x] Sent ${printable(severity)}:${printable(text)}`);
  await channel.close();
  await connection.close();
});
