// 406 PRECONDITION_FAILED, inequivalent arg: a queue is declared again with other arguments (durable,
// x-queue-type, TTL...). The broker keeps the first and closes the channel. Fix: declare it exactly as
// it exists, or delete it (its messages go) and declare it anew.
import { parseArgs } from 'node:util';
import { connect, loadConfig, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main(`inequivalent
Declares a queue of its own, then again with other arguments: 406 PRECONDITION_FAILED, inequivalent arg.
Example: npx nx run troubleshoot:inequivalent`, async () => {
  parseArgs({});
  const config = loadConfig();
  const connection = await connect({ config });
  try {
    const queue = unique('queue');
    const channel = await connection.createChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const other = await connection.createChannel();
    other.on('error', () => undefined);
    await reproduce(other.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } }), config);
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    fixed(`declared '${queue}' with the arguments it has; then deleted it`);
    await channel.deleteQueue(queue);
  } finally {
    await connection.close();
  }
});
