// Stream filtering, the consumer: reads the stream stream-filter-javascript from its first event, asking the
// broker for one region's only. The broker sends the chunks whose filter may hold that region (a Bloom filter
// can say yes for a chunk without it, never no for one with it): the client checks each event's region
// itself and drops the others. Prints each event of the region; on Ctrl+C, how many events the broker sent
// for how many that matched.
import { parseArgs } from 'node:util';
import { Offset, connect } from 'rabbitmq-stream-js-client';
import { UsageError, main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';
import { closeWithin, loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '@rabbit-tutorials/stream';

const STREAM = 'stream-filter-javascript';

main(`receive --region NAME [--all]
Reads the stream "stream-filter-javascript" from its first event over the stream protocol (RABBITMQ_STREAM_PORT,
default 5552; filtering needs RabbitMQ 3.13+) and prints the events of one region until Ctrl+C, then how many the
broker sent. --all: no filter on the broker, every event is sent and the client picks (to compare).
Example: npx nx run stream-filter:receive -- --region eu`, async () => {
  const { values } = parseArgs({ options: { region: { type: 'string', short: 'r' }, all: { type: 'boolean' } } });
  const region = values.region?.trim();
  if (!region) throw new UsageError('--region is required');
  const config = loadStreamConfig();
  const client = await tryEachAddress(config, (node) => connect(streamParams(node, 'stream-filter-receive')));
  await client.createStream({ stream: STREAM, arguments: {} }); // either side may start first
  await waitForLeader(client, [STREAM]); // on a cluster, a new stream is led a moment after its declare
  let sent = 0; // events the broker sent us
  let matched = 0;
  const ours = (region_: unknown) => region_ === region; // an event's region is the publisher's: any value, or none
  const consumer = await client.declareConsumer({
    stream: STREAM,
    offset: Offset.first(),
    connectionClosedListener: () => stop('the connection to the broker was lost'),
    // The broker skips chunks without the region; the post-filter drops what the chunks it sent hold of others.
    ...(!values.all && { filter: { values: [region], matchUnfiltered: false, postFilterFunc: (message) => (sent++, ours(message.applicationProperties?.region)) } }),
  }, (message) => {
    if (values.all) {
      sent++;
      if (!ours(message.applicationProperties?.region)) return;
    }
    matched++;
    console.log(` [x] Received ${printable(message.content.toString())}`); // anyone's text: escaped
  });
  console.log(` [*] Reading region '${printable(region, 40)}'${values.all ? ' (every event sent, picked here)' : ''}. To exit press CTRL+C`);

  await untilShutdown();
  console.log(` [.] The broker sent ${sent} events for ${matched} of region '${printable(region, 40)}'`);
  await closeWithin(2000, async () => {
    await consumer.close();
    await client.close();
  });
});
