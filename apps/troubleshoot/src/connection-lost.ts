// A lost connection: the broker shut down (320 CONNECTION_FORCED) or froze (it stops answering: only
// heartbeats notice, within about two heartbeat intervals). amqplib's recovery reconnects and re-runs
// the setup. This program connects, then waits for you (or the tests) to stop or freeze the broker:
//   rabbitmqctl stop_app && rabbitmqctl start_app      or      kill -STOP <pid>; ...; kill -CONT <pid>
import { parseArgs } from 'node:util';
import type { ConfirmChannel } from 'amqplib';
import { connect, describeError, intOption, loadConfig, main } from '@rabbit-tutorials/connection';
import { fixed, unique } from './case.js';

main(`connection-lost [--heartbeat SECONDS]   (default 5)
Connects and waits for the broker to stop (320 CONNECTION_FORCED) or freeze (missed heartbeats, --heartbeat
seconds), says which, and reconnects.
Example: npx nx run troubleshoot:connection-lost`, async () => {
  const { values } = parseArgs({ options: { heartbeat: { type: 'string' } } });
  const config = { ...loadConfig(), heartbeat: intOption('heartbeat', values.heartbeat, 5, 1, 600) };
  const queue = unique('queue');
  let channel: ConfirmChannel;
  let connects = 0;
  let reconnected: () => void;
  const back = new Promise<void>((resolve) => (reconnected = resolve));

  const connection = await connect({
    config,
    async setup(connection) {
      channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      if (++connects > 1) reconnected();
    },
  });
  connection.once('disconnect', (err: unknown) => console.log(` [!] ${describeError(err, config)}`));
  console.log(` [*] Connected (heartbeat ${config.heartbeat} s). Now stop or freeze the broker; this waits for it to come back.`);

  await back;
  channel!.sendToQueue(queue, Buffer.from('after the outage'), { persistent: true });
  await channel!.waitForConfirms();
  await channel!.deleteQueue(queue);
  fixed('reconnected by itself (the setup ran again) and a message published afterwards is confirmed');
  await connection.close();
});
