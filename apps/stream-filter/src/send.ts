// Stream filtering, the producer: appends N events of one region ("event #1 (eu)" ...) to the stream
// stream-filter-javascript, each with the application property "region" and, as its filter value, the
// region: the broker keeps a small (Bloom) filter per chunk of the stream, so a reader of one region can
// skip the chunks that hold none of it. Exits once the broker has confirmed every event.
import { parseArgs } from 'node:util';
import { connect } from 'rabbitmq-stream-js-client';
import { BrokerError, UsageError, intOption, main, printable } from '@rabbit-tutorials/connection';
import { loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '@rabbit-tutorials/stream';

const STREAM = 'stream-filter-javascript';

main(`send --region NAME [--count N]
Appends N events (--count, default 100) of one region to the stream "stream-filter-javascript" over the stream
protocol (RABBITMQ_STREAM_PORT, default 5552; filtering needs RabbitMQ 3.13+), each with the application
property "region" and that filter value, and exits 0 once all are confirmed.
Example: npx nx run stream-filter:send -- --region eu --count 1000`, async () => {
  const { values } = parseArgs({ options: { region: { type: 'string', short: 'r' }, count: { type: 'string', short: 'n' } } });
  const region = values.region?.trim();
  if (!region) throw new UsageError('--region is required');
  const count = intOption('count', values.count, 100, 1, 10_000_000);
  const config = loadStreamConfig();
  const client = await tryEachAddress(config, (node) => connect(streamParams(node, 'stream-filter-send')));
  try {
    await client.createStream({ stream: STREAM, arguments: {} });
    await waitForLeader(client, [STREAM]); // on a cluster, a new stream is led a moment after its declare
    // The filter value of each message: its region (a broker before 3.13 refuses a filtering publisher).
    const publisher = await client.declarePublisher({ stream: STREAM }, (message) => message.applicationProperties?.region?.toString());
    let unconfirmed = count;
    const confirmed = new Promise<void>((resolve, reject) => publisher.on('publish_confirm', (code, ids) => {
      if (code !== null) return reject(new BrokerError(`the broker refused a message (stream protocol code ${code})`, true));
      unconfirmed -= ids.length;
      if (unconfirmed === 0) resolve();
    }));
    for (let i = 1; i <= count; i++) await publisher.send(Buffer.from(`event #${i} (${region})`), { applicationProperties: { region } });
    await publisher.flush();
    await confirmed;
    console.log(` [x] ${count} events of region '${printable(region, 40)}' confirmed`);
  } finally {
    await client.close();
  }
});
