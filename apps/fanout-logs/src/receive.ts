// Prints every message published to "logs" from now on, through its own temporary queue.
import { main, runConsumer, subscribe, utf8 } from '@rabbit-tutorials/connection';

const EXCHANGE = 'logs';

main(() =>
  runConsumer({
    name: 'fanout-logs-receive',
    async setup(ctx) {
      await ctx.channel.assertExchange(EXCHANGE, 'fanout', { durable: false });
      await subscribe(ctx, EXCHANGE, [{ pattern: '' }], (message) => console.log(` [x] ${utf8(message.content)}`));
      console.log(' [*] Waiting for logs. To exit press CTRL+C');
    },
  }),
);
