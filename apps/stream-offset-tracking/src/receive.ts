// Streams "Offset Tracking" (stream tutorial 2), the consumer: reads stream-offset-tracking-javascript
// from where it stopped last time. The broker keeps the offset under the reference name
// "offset-tracking-tutorial" (stored every 10 messages and at the marker), so a restarted consumer
// goes on after the last stored offset: nothing skipped, at most 9 messages read again after a crash.
import { parseArgs } from 'node:util';
import { Offset, connect } from 'rabbitmq-stream-js-client';
import { log, main, stop, untilShutdown } from '@rabbit-tutorials/connection';
import { closeWithin, loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '@rabbit-tutorials/stream';

const STREAM = 'stream-offset-tracking-javascript';
const REFERENCE = 'offset-tracking-tutorial';

main(`receive
Reads "stream-offset-tracking-javascript" from the offset stored under "offset-tracking-tutorial" (the
first message on the first run) up to the marker, storing its offset as it goes (RabbitMQ 3.11+).
Example: npx nx run stream-offset-tracking:receive`, async () => {
  parseArgs({}); // takes no arguments
  const config = loadStreamConfig();
  // The first node that answers, when RABBITMQ_URL lists a cluster's nodes.
  const client = await tryEachAddress(config, (node) => connect(streamParams(node, 'stream-offset-tracking-receive')));
  const shutdown = untilShutdown(); // from here on, Ctrl+C ends the program through the shutdown below
  await client.createStream({ stream: STREAM, arguments: {} });
  await waitForLeader(client, [STREAM]); // on a cluster, a new stream is led a moment after its declare
  // The first run has no stored offset: start at the beginning of the stream.
  const stored = await client.queryOffset({ reference: REFERENCE, stream: STREAM }).catch(() => undefined);
  const start = stored === undefined ? Offset.first() : Offset.offset(stored + 1n);
  let [first, last, count] = [undefined as bigint | undefined, undefined as bigint | undefined, 0];

  console.log(` [*] Start consuming at ${stored === undefined ? 'the first message' : `offset ${stored + 1n}`}`);
  // The promise, not the consumer: messages may arrive before declareConsumer() has resolved.
  const consumer = client.declareConsumer({
    stream: STREAM, offset: start, consumerRef: REFERENCE,
    connectionClosedListener: () => stop('the connection to the broker was lost'),
  }, async (message) => {
    count++;
    if (first === undefined) {
      first = message.offset;
      console.log(' [x] First message received');
    }
    if (count % 10 === 0) await (await consumer).storeOffset(message.offset);
    if (message.content.toString() === 'marker') {
      last = message.offset;
      await (await consumer).storeOffset(message.offset);
      console.log(' [x] Marker found');
      stop();
    }
  });
  await consumer;

  await shutdown;
  await closeWithin(2000, async () => { // the offsets are stored already: not waited for longer
    await (await consumer).close();
    await client.close();
  });
  // Offsets count the stream's entries, stored offsets among them: not one per message, so say both.
  if (last !== undefined) console.log(` [x] Done consuming, first offset was ${first}, last offset was ${last} (${count} messages)`);
  else log(`stopped before the marker after ${count} message(s); the next run goes on from the last stored offset`);
});
