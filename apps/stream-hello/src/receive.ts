// Streams "Hello World" (stream tutorial 1), the consumer: reads the stream hello-nodejs-stream from
// its first message and prints every message until SIGINT/SIGTERM. Reading takes nothing away: run it
// twice and both print everything; there is no ack, a consumer chooses where to start (an offset).
import { parseArgs } from 'node:util';
import { Offset, connect } from 'rabbitmq-stream-js-client';
import { main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';
import { closeWithin, loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '@rabbit-tutorials/stream';

const STREAM = 'hello-nodejs-stream';
const RETENTION = { 'max-length-bytes': 5_000_000_000 };

main(`receive
Reads the stream "hello-nodejs-stream" from its first message over the stream protocol
(RABBITMQ_STREAM_PORT, default 5552; RabbitMQ 3.11+) and prints every message until Ctrl+C.
Example: npx nx run stream-hello:receive`, async () => {
  parseArgs({}); // takes no arguments
  const config = loadStreamConfig();
  // The first node that answers, when RABBITMQ_URL lists a cluster's nodes.
  const client = await tryEachAddress(config, (node) => connect(streamParams(node, 'stream-hello-receive')));
  await client.createStream({ stream: STREAM, arguments: RETENTION }); // either side may start first
  await waitForLeader(client, [STREAM]); // on a cluster, a new stream is led a moment after its declare
  const consumer = await client.declareConsumer({
    stream: STREAM,
    offset: Offset.first(),
    connectionClosedListener: () => stop('the connection to the broker was lost'),
  }, (message) => console.log(` [x] Received message ${printable(message.content.toString())}`)); // anyone's text: escaped
  console.log(' [*] Waiting for messages. To exit press CTRL+C');

  await untilShutdown();
  await closeWithin(2000, async () => { // a reader has nothing to settle: not waited for longer
    await consumer.close();
    await client.close();
  });
});
