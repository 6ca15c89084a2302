// Prints the log messages whose headers match: "all" needs every key=value given, "any" one of them.
import { UsageError, main, runConsumer, subscribe, utf8 } from '@rabbit-tutorials/connection';
import { headerArgs } from './headers.js';

const EXCHANGE = 'headers_logs';
const USAGE = 'receive <all|any> <header=value>... (e.g. all level=error source=db)';

main(async () => {
  const [match, ...rest] = process.argv.slice(2);
  if (match !== 'all' && match !== 'any') throw new UsageError('the first argument must be all or any');
  const { headers, words } = headerArgs(rest);
  if (words.length > 0) throw new UsageError(`"${words[0]}" is not a header=value`);
  if (Object.keys(headers).length === 0) throw new UsageError('give at least one header=value');
  return runConsumer({
    name: 'headers-logs-receive',
    async setup(ctx) {
      await ctx.channel.assertExchange(EXCHANGE, 'headers', { durable: false });
      await subscribe(ctx, EXCHANGE, [{ pattern: '', arguments: { 'x-match': match, ...headers } }], (message) => {
        console.log(` [x] ${JSON.stringify(message.properties.headers)}:${utf8(message.content)}`);
      });
      console.log(' [*] Waiting for logs. To exit press CTRL+C');
    },
  });
}, USAGE);
