// A full queue: with x-max-length and x-overflow reject-publish, the broker refuses messages beyond the
// limit, and a confirming publisher sees a nack (without confirms they are lost without a word).
// Fix: consume faster, raise the limit, or let the publisher retry later.
import { parseArgs } from 'node:util';
import { connect, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main(`queue-full
Publishes past the limit of an exclusive queue of its own (x-max-length 2, x-overflow reject-publish): the broker nacks.
Example: npx nx run troubleshoot:queue-full`, async () => {
  parseArgs({});
  const connection = await connect();
  try {
    const queue = unique('queue');
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { exclusive: true, arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } });
    const publish = (body: string) => new Promise<void>((resolve, reject) => channel.sendToQueue(queue, Buffer.from(body), {}, (err) => {
      if (err) reject(new Error(`the broker refused '${body}' (nack): queue '${queue}' is full (x-max-length 2, x-overflow reject-publish)`));
      else resolve();
    }));
    await publish('1');
    await publish('2');
    await reproduce(publish('3'));

    const taken = await channel.get(queue); // a consumer takes one: room for one more
    if (taken) channel.ack(taken);
    await publish('3');
    fixed(`after a consumer took '${taken && taken.content}', '3' is confirmed`);
  } finally {
    await connection.close();
  }
});
