// Headers exchange: sends a log message carrying the key=value headers given on the command line to
// the headers exchange "headers_logs". The routing key plays no part: queues are bound by headers.
import { parseArgs } from 'node:util';
import { UsageError, connect, log, main } from '@rabbit-tutorials/connection';
import { headerArgs } from './headers.js';

const EXCHANGE = 'headers_logs';

main('emit <header=value>... [message...] (e.g. level=error source=db "disk full")', async () => {
  const { headers, words } = headerArgs(parseArgs({ allowPositionals: true }).positionals);
  if (Object.keys(headers).length === 0) throw new UsageError('give at least one header=value');
  const text = words.join(' ') || 'Hello World!';

  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(EXCHANGE, 'headers', { durable: false });
  // mandatory: a message no binding matches comes back (basic.return) instead of vanishing unseen.
  channel.on('return', () => log(`no queue is bound for these headers on exchange '${EXCHANGE}': that message was dropped`));
  channel.publish(EXCHANGE, '', Buffer.from(text), { headers, mandatory: true });
  await channel.waitForConfirms();
  console.log(` [x] Sent ${JSON.stringify(headers)}:${text}`);
  await channel.close();
  await connection.close();
});
