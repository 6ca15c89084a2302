// Publishes a log message with a dotted routing key (e.g. kern.critical) to the topic exchange "topic_logs".
import { main, runProducer } from '@rabbit-tutorials/connection';

const EXCHANGE = 'topic_logs';
const [routingKey = 'anonymous.info', ...words] = process.argv.slice(2);
const message = words.join(' ') || 'Hello World!';

main(() =>
  runProducer('topic-logs-emit', async ({ channel }) => {
    await channel.assertExchange(EXCHANGE, 'topic', { durable: false });
    channel.publish(EXCHANGE, routingKey, Buffer.from(message), { mandatory: true });
    console.log(` [x] Sent ${routingKey}:${message}`);
  }),
);
