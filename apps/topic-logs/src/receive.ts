// Prints the log messages whose routing key matches a binding key: "*" is one word, "#" zero or more.
import { UsageError, main, runConsumer, subscribe, utf8 } from '@rabbit-tutorials/connection';

const EXCHANGE = 'topic_logs';
const USAGE = 'receive <binding.key>... (e.g. "kern.*" "*.critical" "#")';

main(async () => {
  const bindingKeys = process.argv.slice(2);
  if (bindingKeys.length === 0) throw new UsageError('name at least one binding key');
  return runConsumer({
    name: 'topic-logs-receive',
    async setup(ctx) {
      await ctx.channel.assertExchange(EXCHANGE, 'topic', { durable: false });
      const bindings = bindingKeys.map((key) => ({ pattern: key }));
      await subscribe(ctx, EXCHANGE, bindings, (message) => console.log(` [x] ${message.fields.routingKey}:${utf8(message.content)}`));
      console.log(' [*] Waiting for logs. To exit press CTRL+C');
    },
  });
}, USAGE);
