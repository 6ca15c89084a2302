// Publishes a log message carrying the key=value headers given on the command line to the headers
// exchange "headers_logs"; the routing key plays no part.
import { UsageError, main, runProducer } from '@rabbit-tutorials/connection';
import { headerArgs } from './headers.js';

const EXCHANGE = 'headers_logs';
const USAGE = 'emit <header=value>... [message...] (e.g. level=error source=db "disk full")';

main(async () => {
  const { headers, words } = headerArgs(process.argv.slice(2));
  if (Object.keys(headers).length === 0) throw new UsageError('give at least one header=value');
  const message = words.join(' ') || 'Hello World!';
  await runProducer('headers-logs-emit', async ({ channel }) => {
    await channel.assertExchange(EXCHANGE, 'headers', { durable: false });
    channel.publish(EXCHANGE, '', Buffer.from(message), { headers, mandatory: true });
    console.log(` [x] Sent ${JSON.stringify(headers)}:${message}`);
  });
}, USAGE);
