// Publishes one log message to the fanout exchange "logs": every bound queue gets a copy.
import { main, runProducer } from '@rabbit-tutorials/connection';

const EXCHANGE = 'logs';
const message = process.argv.slice(2).join(' ') || 'info: Hello World!';

main(() =>
  runProducer('fanout-logs-emit', async ({ channel }) => {
    // durable: false as in the tutorial: the exchange only routes, receivers' queues are temporary.
    await channel.assertExchange(EXCHANGE, 'fanout', { durable: false });
    channel.publish(EXCHANGE, '', Buffer.from(message));
    console.log(` [x] Sent ${message}`);
  }),
);
