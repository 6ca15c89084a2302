// Prints every message of the queue "hello" until SIGINT/SIGTERM.
import { main, quorumQueue, runConsumer, utf8 } from '@rabbit-tutorials/connection';

const QUEUE = 'hello';

main(() =>
  runConsumer({
    name: 'hello-receive',
    async setup({ channel, consume }) {
      await channel.assertQueue(QUEUE, quorumQueue);
      // Acked after the handler returns; a body that is not UTF-8 is rejected instead.
      await consume(QUEUE, (message) => {
        console.log(` [x] Received '${utf8(message.content)}'`);
      });
      console.log(' [*] Waiting for messages. To exit press CTRL+C');
    },
  }),
);
