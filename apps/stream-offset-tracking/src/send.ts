// Streams "Offset Tracking" (stream tutorial 2), the producer: appends 100 messages to the stream
// stream-offset-tracking-javascript ("hello 0" ... "hello 98", then "marker", so the consumer knows
// where this batch ends) and exits once the broker has confirmed every one.
import { parseArgs } from 'node:util';
import { connect } from 'rabbitmq-stream-js-client';
import { BrokerError, main } from '@rabbit-tutorials/connection';
import { loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '@rabbit-tutorials/stream';

const STREAM = 'stream-offset-tracking-javascript';
const COUNT = 100;

main(`send
Appends 100 messages ("hello 0"... then "marker") to the stream "stream-offset-tracking-javascript" over
the stream protocol (RABBITMQ_STREAM_PORT, default 5552; RabbitMQ 3.11+) and exits 0 once all are confirmed.
Example: npx nx run stream-offset-tracking:send`, async () => {
  parseArgs({}); // takes no arguments
  const config = loadStreamConfig();
  // The first node that answers, when RABBITMQ_URL lists a cluster's nodes.
  const client = await tryEachAddress(config, (node) => connect(streamParams(node, 'stream-offset-tracking-send')));
  try {
    await client.createStream({ stream: STREAM, arguments: {} });
    await waitForLeader(client, [STREAM]); // on a cluster, a new stream is led a moment after its declare
    const publisher = await client.declarePublisher({ stream: STREAM });
    let unconfirmed = COUNT;
    const confirmed = new Promise<void>((resolve, reject) => publisher.on('publish_confirm', (code, ids) => {
      if (code !== null) return reject(new BrokerError(`the broker refused a message (stream protocol code ${code})`, true));
      unconfirmed -= ids.length;
      if (unconfirmed === 0) resolve();
    }));
    console.log(` [x] Publishing ${COUNT} messages`);
    for (let i = 0; i < COUNT; i++) await publisher.send(Buffer.from(i === COUNT - 1 ? 'marker' : `hello ${i}`));
    await publisher.flush();
    await confirmed;
    console.log(` [x] ${COUNT} messages confirmed`);
  } finally {
    await client.close();
  }
});
