// Publish/subscribe (tutorial 3), the publisher: sends one log message to the fanout exchange "logs",
// which gives every bound queue a copy. No receiver running: the message goes nowhere, by design.
import { parseArgs } from 'node:util';
import { connect, main, messageText, printable } from '@rabbit-tutorials/connection';

const EXCHANGE = 'logs';

main('emit [message... | -]   (default: info: Hello World!; - reads it from standard input)', async () => {
  const { positionals } = parseArgs({ allowPositionals: true });
  const text = await messageText(positionals, 'info: Hello World!');

  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  // durable: false as in the tutorial: the exchange only routes; the receivers' queues are temporary.
  await channel.assertExchange(EXCHANGE, 'fanout', { durable: false });
  channel.publish(EXCHANGE, '', Buffer.from(text));
  await channel.waitForConfirms();
  console.log(` [x] Sent ${printable(text)}`);
  await channel.close();
  await connection.close();
});
