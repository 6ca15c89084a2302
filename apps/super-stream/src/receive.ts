// Super stream, the consumer: reads every partition of "invoices" as one member of the consumer group
// "invoices-app". Per partition, one member of the group at a time is active (single active consumer), so
// each customer's invoices are handled in order by one process; start more receivers and the broker spreads
// the partitions among them. After each invoice the member stores its offset on the broker; a member that
// becomes active (a restart, another one's death) goes on after the last offset stored.
import { parseArgs } from 'node:util';
import { type Consumer, Offset, connect } from 'rabbitmq-stream-js-client';
import { main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';
import { closeWithin, loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '@rabbit-tutorials/stream';

const SUPER_STREAM = 'invoices';
const GROUP = 'invoices-app';

main(`receive [--name NAME]
Reads the super stream "invoices" (partitions invoices-0..2) as a member of the group "invoices-app" over the
stream protocol (RABBITMQ_STREAM_PORT, default 5552; RabbitMQ 3.13+): per partition one member at a time is
active; prints each invoice (prefixed by --name, default the process id) and stores its offset; a member that
takes over a partition goes on after the last stored offset. Until Ctrl+C.
Example: npx nx run super-stream:receive -- --name A`, async () => {
  const { values } = parseArgs({ options: { name: { type: 'string' } } });
  const name = printable(values.name ?? String(process.pid), 40);
  const config = loadStreamConfig();
  const client = await tryEachAddress(config, (node) => connect(streamParams(node, 'super-stream-receive')));
  await client.createSuperStream({ streamName: SUPER_STREAM }); // either side may start first
  const partitions = await client.queryPartitions({ superStream: SUPER_STREAM });
  await waitForLeader(client, partitions); // on a cluster, a new stream is led a moment after its declare
  const consumers: Consumer[] = [];
  for (const stream of partitions) {
    const consumer: Consumer = await client.declareConsumer({
      stream, offset: Offset.first(), singleActive: true, consumerRef: GROUP,
      connectionClosedListener: () => stop('the connection to the broker was lost'),
      // Made active: after the last offset the group stored for this partition, or from the first invoice.
      consumerUpdateListener: async (reference, partition) => {
        const stored = await client.queryOffset({ reference, stream: partition }).catch(() => undefined);
        console.log(` [*] ${name} is active on ${partition}${stored === undefined ? ', from its first invoice' : `, after offset ${stored}`}`);
        return stored === undefined ? Offset.first() : Offset.offset(stored + 1n);
      },
    }, async (message) => {
      console.log(` [x] ${name} received ${printable(message.content.toString())} (${stream})`); // anyone's text: escaped
      await consumer.storeOffset(message.offset); // handled: a member that takes over starts after it
    });
    consumers.push(consumer);
  }
  console.log(` [*] Waiting for invoices as ${name} (group ${GROUP}). To exit press CTRL+C`);

  await untilShutdown();
  await closeWithin(2000, async () => {
    for (const consumer of consumers) await consumer.close();
    await client.close();
  });
});
