// Sends one message to the queue "hello" and exits once the broker has confirmed it.
import { main, quorumQueue, runProducer } from '@rabbit-tutorials/connection';

const QUEUE = 'hello';
const message = process.argv.slice(2).join(' ') || 'Hello World!';

main(() =>
  runProducer('hello-send', async ({ channel }) => {
    await channel.assertQueue(QUEUE, quorumQueue);
    // The default exchange ('') routes by queue name.
    channel.sendToQueue(QUEUE, Buffer.from(message), { persistent: true });
    // runProducer waits for the confirm before exiting 0.
    console.log(` [x] Sent '${message}'`);
  }),
);
