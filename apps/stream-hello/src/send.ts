// Streams "Hello World" (stream tutorial 1), the producer: appends one message to the stream
// hello-nodejs-stream over the stream protocol (port 5552) and exits once the broker has confirmed it.
// A stream keeps what it is given: every consumer can read it, from the start or from any offset.
import { parseArgs } from 'node:util';
import { connect } from 'rabbitmq-stream-js-client';
import { BrokerError, main, messageText, printable } from '@rabbit-tutorials/connection';
import { loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '@rabbit-tutorials/stream';

const STREAM = 'hello-nodejs-stream';
const RETENTION = { 'max-length-bytes': 5_000_000_000 }; // as the official tutorial: the oldest data goes past 5 GB

main(`send [message... | -]   (default: Test message; - reads it from standard input)
Appends one message to the stream "hello-nodejs-stream" over the stream protocol (RABBITMQ_STREAM_PORT,
default 5552; RabbitMQ 3.11+) and exits 0 once the broker has confirmed it.
Example: npx nx run stream-hello:send -- "Hello stream"`, async () => {
  const { positionals } = parseArgs({ allowPositionals: true });
  const text = await messageText(positionals, 'Test message');
  const config = loadStreamConfig();
  // The first node that answers, when RABBITMQ_URL lists a cluster's nodes.
  const client = await tryEachAddress(config, (node) => connect(streamParams(node, 'stream-hello-send')));
  try {
    await client.createStream({ stream: STREAM, arguments: RETENTION }); // idempotent: an existing stream is kept
    await waitForLeader(client, [STREAM]); // on a cluster, a new stream is led a moment after its declare
    const publisher = await client.declarePublisher({ stream: STREAM });
    // Confirmed: the broker has the message (written to disk and replicated, on a cluster).
    const confirmed = new Promise<void>((resolve, reject) => publisher.on('publish_confirm', (code) => {
      if (code === null) resolve();
      else reject(new BrokerError(`the broker refused the message (stream protocol code ${code})`, true));
    }));
    await publisher.send(Buffer.from(text));
    await publisher.flush(); // sends what the publisher has batched so far
    await confirmed;
    console.log(` [x] Sent '${printable(text)}'`);
  } finally {
    await client.close();
  }
});
