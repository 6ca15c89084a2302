// Super stream, the producer: the super stream "invoices" is three streams (partitions invoices-0, -1, -2)
// behind one name. Each invoice goes to the partition its customer hashes to, so one customer's invoices
// stay in one partition, in order. Exits once the broker has confirmed every invoice.
import { parseArgs } from 'node:util';
import { connect } from 'rabbitmq-stream-js-client';
// The client's own routing hash (MurmurHash3, 32-bit): a key goes to the partition any RabbitMQ stream client picks.
import { murmur32 } from 'rabbitmq-stream-js-client/dist/hash/murmur32.js';
import { BrokerError, intOption, main } from '@rabbit-tutorials/connection';
import { loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '@rabbit-tutorials/stream';

const SUPER_STREAM = 'invoices';

main(`send [--count N] [--customers K] [--from N]
Appends N invoices (--count, default 30) for K customers (--customers, default 3) to the super stream "invoices"
(partitions invoices-0..2; created if missing) over the stream protocol (RABBITMQ_STREAM_PORT, default 5552;
RabbitMQ 3.13+): "customer-2 #5" is customer 2's fifth (numbered from --from, default 1), in the partition
customer-2 hashes to. Exits 0 once all are confirmed.
Example: npx nx run super-stream:send -- --count 300 --customers 10`, async () => {
  const { values } = parseArgs({ options: { count: { type: 'string', short: 'n' }, customers: { type: 'string' }, from: { type: 'string' } } });
  const count = intOption('count', values.count, 30, 1, 10_000_000);
  const customers = intOption('customers', values.customers, 3, 1, 1_000_000);
  const from = intOption('from', values.from, 1, 1, Number.MAX_SAFE_INTEGER);
  const config = loadStreamConfig();
  const client = await tryEachAddress(config, (node) => connect(streamParams(node, 'super-stream-send')));
  try {
    await client.createSuperStream({ streamName: SUPER_STREAM }); // three partitions; nothing if it exists
    const partitions = await client.queryPartitions({ superStream: SUPER_STREAM });
    await waitForLeader(client, partitions); // on a cluster, a new stream is led a moment after its declare
    const publishers = await Promise.all(partitions.map((stream) => client.declarePublisher({ stream })));
    let unconfirmed = count;
    const confirmed = new Promise<void>((resolve, reject) => {
      for (const publisher of publishers) {
        publisher.on('publish_confirm', (code, ids) => {
          if (code !== null) return reject(new BrokerError(`the broker refused an invoice (stream protocol code ${code})`, true));
          unconfirmed -= ids.length;
          if (unconfirmed === 0) resolve();
        });
      }
    });
    const sequence = new Array<number>(customers).fill(from - 1);
    for (let i = 0; i < count; i++) {
      const customer = `customer-${i % customers}`;
      const partition = murmur32(customer) % partitions.length; // the same key, the same partition, every time
      await publishers[partition]!.send(Buffer.from(`${customer} #${++sequence[i % customers]!}`), { applicationProperties: { customer } });
    }
    await Promise.all(publishers.map((publisher) => publisher.flush()));
    await confirmed;
    console.log(` [x] ${count} invoices for ${customers} customer(s) confirmed, over ${partitions.join(', ')}`);
  } finally {
    await client.close();
  }
});
