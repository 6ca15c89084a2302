// Publishes a log message with its severity as routing key to the direct exchange "direct_logs".
import { main, runProducer } from '@rabbit-tutorials/connection';

const EXCHANGE = 'direct_logs';
const [severity = 'info', ...words] = process.argv.slice(2);
const message = words.join(' ') || 'Hello World!';

main(() =>
  runProducer('direct-logs-emit', async ({ channel }) => {
    await channel.assertExchange(EXCHANGE, 'direct', { durable: false });
    // mandatory: if no receiver listens to this severity we say so instead of dropping it silently.
    channel.publish(EXCHANGE, severity, Buffer.from(message), { mandatory: true });
    console.log(` [x] Sent ${severity}:${message}`);
  }),
);
