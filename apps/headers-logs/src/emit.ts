// Headers exchange: sends a log message carrying the headers given with --header name=value to the
// headers exchange "headers_logs"; the words after them are the message. The routing key plays no
// part: queues are bound by headers.
import { parseArgs } from 'node:util';
import { UsageError, connect, log, main, messageText, printable } from '@rabbit-tutorials/connection';
import { addHeader } from './headers.js';

const EXCHANGE = 'headers_logs';

main(`emit --header name=value... [message... | -] (e.g. -H level=error -H source=db "disk full"; - reads standard input)
Publishes a log message carrying the headers given to the headers exchange "headers_logs" (the routing
key plays no part).
Example: npx nx run headers-logs:emit -- -H level=error -H source=db "disk full"`, async () => {
  const { values, positionals: words } = parseArgs({ allowPositionals: true, options: { header: { type: 'string', short: 'H', multiple: true } } });
  const headers = (values.header ?? []).reduce(addHeader, Object.create(null));
  if (Object.keys(headers).length === 0) throw new UsageError('give at least one --header name=value');
  const text = await messageText(words, 'Hello World!');

  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(EXCHANGE, 'headers', { durable: false });
  // mandatory: a message no binding matches comes back (basic.return) instead of vanishing unseen.
  channel.on('return', () => log(`no queue is bound for these headers on exchange '${EXCHANGE}': that message was dropped`));
  // A copy: tracing, when on, adds its own header (traceparent) to the object it is given.
  channel.publish(EXCHANGE, '', Buffer.from(text), { headers: { ...headers }, mandatory: true });
  await channel.waitForConfirms();
  console.log(` [x] Sent ${printable(JSON.stringify(headers))}:${printable(text)}`);
  await channel.close();
  await connection.close();
});
