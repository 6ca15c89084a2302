// Publish/subscribe (tutorial 3), the publisher: sends one log message to the fanout exchange "logs",
// which gives every bound queue a copy. No receiver running: the message goes nowhere, by design, and
// the broker says so (mandatory: it returns the message instead of dropping it without a word).
import { parseArgs } from 'node:util';
import { connect, log, main, messageText, printable } from '@rabbit-tutorials/connection';

const EXCHANGE = 'logs';

main(`emit [message... | -]   (default: info: Hello World!; - reads it from standard input)
Publishes one log message to the fanout exchange "logs": every bound queue gets a copy; with no
receiver running it goes nowhere and the broker says so.
Example: npx nx run fanout-logs:emit -- "info: Hello World!"`, async () => {
  const { positionals } = parseArgs({ allowPositionals: true });
  const text = await messageText(positionals, 'info: Hello World!');

  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  // durable: false as in the tutorial: the exchange only routes; the receivers' queues are temporary.
  await channel.assertExchange(EXCHANGE, 'fanout', { durable: false });
  channel.on('return', () => log(`no queue is bound to exchange '${EXCHANGE}': nobody received that message`));
  channel.publish(EXCHANGE, '', Buffer.from(text), { mandatory: true });
  await channel.waitForConfirms(); // a returned message is returned before it is confirmed
  console.log(` [x] Sent ${printable(text)}`);
  await channel.close();
  await connection.close();
});
