// Publishing blocked: when the broker runs short of memory or disk (a resource alarm), it stops reading
// from every publishing connection and sends connection.blocked. Publishers seem to hang. This program
// publishes once a second and waits for you (or the tests) to raise and clear an alarm, for example:
//   rabbitmqctl set_vm_memory_high_watermark 0.0000001   ...   rabbitmqctl set_vm_memory_high_watermark 0.4
// libs/connection logs both events, and gives up after RABBITMQ_BLOCKED_TIMEOUT_MS (default 60 s).
import { parseArgs } from 'node:util';
import { connect, main } from '@rabbit-tutorials/connection';
import { fixed, unique } from './case.js';

main(`blocked
Publishes to a queue of its own once a second and says when the broker blocks publishing (a memory or disk alarm)
and when it unblocks; gives up after RABBITMQ_BLOCKED_TIMEOUT_MS.
Example: npx nx run troubleshoot:blocked`, async () => {
  parseArgs({});
  const connection = await connect();
  try {
    const queue = unique('queue');
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { exclusive: true });
    let [blocked, unblocked] = [false, false];
    connection.on('blocked', (reason: string) => {
      blocked = true;
      console.log(` [!] the broker blocks publishing (${reason}): publishes wait until the alarm clears`);
    });
    connection.on('unblocked', () => (unblocked = blocked));
    console.log(' [*] Publishing once a second. Now raise a memory or disk alarm on the broker, then clear it.');
    for (let i = 1; !unblocked; i++) {
      channel.sendToQueue(queue, Buffer.from(`message ${i}`));
      await channel.waitForConfirms(); // waits while blocked
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    fixed(`the alarm cleared: every message is confirmed (${(await channel.checkQueue(queue)).messageCount} in the queue)`);
  } finally {
    await connection.close();
  }
});
