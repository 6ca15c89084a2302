// Prints the log messages of the severities named on the command line: one queue, one binding each.
import { UsageError, main, runConsumer, subscribe, utf8 } from '@rabbit-tutorials/connection';

const EXCHANGE = 'direct_logs';
const USAGE = 'receive <severity>... (e.g. info warning error)';

main(async () => {
  const severities = process.argv.slice(2);
  if (severities.length === 0) throw new UsageError('name at least one severity');
  return runConsumer({
    name: 'direct-logs-receive',
    async setup(ctx) {
      await ctx.channel.assertExchange(EXCHANGE, 'direct', { durable: false });
      const bindings = severities.map((severity) => ({ pattern: severity }));
      await subscribe(ctx, EXCHANGE, bindings, (message) => console.log(` [x] ${message.fields.routingKey}:${utf8(message.content)}`));
      console.log(' [*] Waiting for logs. To exit press CTRL+C');
    },
  });
}, USAGE);
