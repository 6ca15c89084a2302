// 406 PRECONDITION_FAILED, unknown delivery tag: a message acked twice, or acked on a channel that did
// not deliver it (after a reconnect, the old delivery tags mean nothing on the new channel). The broker
// closes the channel. Fix: ack each delivery once, on its own channel; after a reconnect, leave the old
// deliveries alone: the broker delivers them again (redelivered = true).
import { parseArgs } from 'node:util';
import type { Channel, GetMessage } from 'amqplib';
import { connect, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main(`double-ack
Acks a message of a queue of its own twice, then acks one on a channel that did not deliver it: 406
PRECONDITION_FAILED, unknown delivery tag, each case labelled.
Example: npx nx run troubleshoot:double-ack`, async () => {
  parseArgs({});
  const connection = await connect();
  try {
    const queue = unique('queue');
    const setup = await connection.createConfirmChannel();
    await setup.assertQueue(queue, { exclusive: true });
    for (const body of ['one', 'two', 'three']) setup.sendToQueue(queue, Buffer.from(body));
    await setup.waitForConfirms(); // in the queue: another channel's get() cannot overtake them
    // A closed channel reports why on its 'error' event; the ack itself returns nothing.
    const closed = (channel: Channel) => new Promise<never>((_, reject) => channel.once('error', reject));

    const twice = await connection.createChannel();
    const first = (await twice.get(queue)) as GetMessage;
    twice.ack(first);
    twice.ack(first);
    await reproduce(closed(twice), undefined, 'acked twice');

    const before = await connection.createChannel(); // the channel of a connection that is then lost
    const stale = (await before.get(queue)) as GetMessage;
    await before.close();
    const after = await connection.createChannel();
    after.ack(stale);
    await reproduce(closed(after), undefined, 'acked on a channel that did not deliver it');

    const right = await connection.createChannel();
    const again = (await right.get(queue)) as GetMessage; // the unacked message, delivered again
    right.ack(again);
    await right.close(); // its close-ok proves the broker took the ack
    fixed(`acked once on its own channel: '${again.content}' (redelivered: ${again.fields.redelivered})`);
  } finally {
    await connection.close();
  }
});
