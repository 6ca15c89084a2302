// Headers exchange, a subscriber: prints the log messages whose headers match the key=value pairs
// given: x-match "all" needs every one, "any" one of them. One temporary queue, one binding.
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { UsageError, connect, main, printable, untilShutdown } from '@rabbit-tutorials/connection';
import { addHeader } from './headers.js';

const EXCHANGE = 'headers_logs';
const utf8 = new TextDecoder('utf-8', { fatal: false }); // a log line with a bad byte is still shown

main(`receive <all|any> <header=value>... (e.g. all level=error source=db)
Prints the messages of "headers_logs" whose headers match: "all" of the pairs given, or "any" of them,
through a temporary queue with one binding.
Example: npx nx run headers-logs:receive -- all level=error source=db`, async () => {
  const [match, ...rest] = parseArgs({ allowPositionals: true }).positionals;
  if (match !== 'all' && match !== 'any') throw new UsageError('the first argument must be all or any');
  const headers = rest.reduce(addHeader, Object.create(null));
  if (Object.keys(headers).length === 0) throw new UsageError('give at least one header=value');
  let channel: Channel;

  const connection = await connect({
    // On every (re)connection: the temporary queue died with the old connection, so make a new one.
    async setup(connection) {
      channel = await connection.createChannel();
      await channel.assertExchange(EXCHANGE, 'headers', { durable: false });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, EXCHANGE, '', { 'x-match': match, ...headers });
      await channel.consume(queue, (message) => {
        if (message) console.log(` [x] ${printable(JSON.stringify(message.properties.headers))}:${printable(utf8.decode(message.content))}`);
      }, { noAck: true });
      console.log(' [*] Waiting for logs. To exit press CTRL+C');
    },
  });

  await untilShutdown(connection);
  await channel!.close().catch(() => undefined);
  await connection.close();
});
