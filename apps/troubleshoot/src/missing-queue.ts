// 404 NOT_FOUND: consuming from, or checking (a passive declare), a queue nobody declared. The broker
// closes the channel. Fix: declare the queue (assertQueue is idempotent) before using it, on a new channel.
import { parseArgs } from 'node:util';
import { connect, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main(`missing-queue
Checks a queue nobody declared (troubleshoot-queue-<pid>): 404 NOT_FOUND; then declares it first.
Example: npx nx run troubleshoot:missing-queue`, async () => {
  parseArgs({});
  const connection = await connect();
  try {
    const queue = unique('queue');
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // the 404 closes this channel: the line below says why
    await reproduce(channel.checkQueue(queue));
    const fresh = await connection.createChannel(); // a closed channel stays closed
    await fresh.assertQueue(queue, { exclusive: true });
    await fresh.checkQueue(queue);
    fixed(`declared '${queue}' first; checking it then succeeds`);
  } finally {
    await connection.close();
  }
});
