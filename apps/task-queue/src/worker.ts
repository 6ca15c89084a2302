// Work queues (tutorial 2), the worker: takes tasks from task_queue, "works" one second per dot, and
// acks after the work, so a worker that dies mid-task loses nothing: the broker hands the task to
// another worker. prefetch 1 is fair dispatch: a busy worker gets no new task. A task it cannot
// process (poison) goes to task_queue.dead instead of coming back for ever.
import { parseArgs } from 'node:util';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { connect, describeError, intOption, loadConfig, log, main, printable, sendCopy, stop, untilShutdown } from '@rabbit-tutorials/connection';
import { finishWork } from './finish-work.js';

const QUEUE = 'task_queue';
const DEAD = 'task_queue.dead';
const utf8 = new TextDecoder('utf-8', { fatal: true });

main(`worker [--prefetch N] [--dot-ms MS] [--max-deliveries N] [--quiet]   (a task works at most 24.8 days, the longest timer)
Takes tasks from "task_queue" (durable, quorum), works --dot-ms (default 1000) per ".", acks after the work;
--prefetch (default 1: fair dispatch). A task that fails --max-deliveries times (default 5) goes to
"task_queue.dead". Ctrl+C waits for the task in progress.
Example: npx nx run task-queue:worker`, async () => {
  const { values } = parseArgs({ options: {
    prefetch: { type: 'string' }, 'dot-ms': { type: 'string' }, 'max-deliveries': { type: 'string' }, quiet: { type: 'boolean' },
  } });
  const prefetch = intOption('prefetch', values.prefetch, 1, 1, 65535);
  const dotMs = intOption('dot-ms', values['dot-ms'], 1000, 0, 3_600_000);
  // At most 20: from RabbitMQ 4.0 a quorum queue drops a message after 20 failed deliveries (its default
  // delivery-limit) before the worker could set it aside.
  const maxDeliveries = intOption('max-deliveries', values['max-deliveries'], 5, 1, 20);
  const config = loadConfig();
  // Durable quorum queues, as the official tutorial declares task_queue; RABBITMQ_QUEUE_TYPE=classic:
  // durable, no x-queue-type, as the classic tutorials did, to share it with their programs.
  const queueOptions = config.queueType === 'classic' ? { durable: true } : { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  const say = values.quiet ? undefined : console.log; // --quiet: no line per task (high rates); say?.() then skips its arguments too
  const working = new Set<Promise<void>>();
  let channel: ConfirmChannel;
  let consumerTag: string;

  const connection = await connect({
    config,
    async setup(connection) {
      // A confirm channel: a poison task is acked only once its copy in task_queue.dead is confirmed.
      channel = await connection.createConfirmChannel();
      channel.on('error', (err) => stop(describeError(err))); // e.g. a 406: a bug, not worth retrying
      await channel.assertQueue(QUEUE, queueOptions);
      await channel.assertQueue(DEAD, queueOptions);
      await channel.prefetch(prefetch);
      ({ consumerTag } = await channel.consume(QUEUE, (message) => {
        if (!message) return stop(`the broker cancelled the consumer of '${QUEUE}' (was the queue deleted? or, from RabbitMQ 4.3, a message held unacked past its consumer timeout)`);
        const work = handle(channel, message)
          // The channel went (connection lost): unacked, the task is delivered again.
          .catch((err) => log(`could not settle a task: ${describeError(err)}; the broker will deliver it again`))
          .finally(() => working.delete(work));
        working.add(work);
      }));
      console.log(' [*] Waiting for messages. To exit press CTRL+C');
    },
  });

  async function handle(channel: ConfirmChannel, message: ConsumeMessage) {
    let task: string;
    try {
      // Quorum queues count deliveries: a task delivered this often keeps killing its workers (a classic
      // queue only says "redelivered", so there such a task comes back until a person removes it).
      const deliveries = Number(message.properties.headers?.['x-delivery-count'] ?? 0);
      if (deliveries >= maxDeliveries) throw new Error(`delivered ${deliveries + 1} times without being acked (does it crash the worker?)`);
      task = utf8.decode(message.content);
      if (task.trim() === '') throw new Error('empty task');
    } catch (err) {
      return deadLetter(channel, message, (err as Error).message);
    }
    say?.(` [x] Received ${printable(task)}${message.fields.redelivered ? ' (redelivered)' : ''}`); // escaped, cut: anyone's text
    const workMs = Math.min((task.split('.').length - 1) * dotMs, 2 ** 31 - 1); // a longer timer would fire at once
    if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
    say?.(` [x] Done ${printable(task)}`);
    channel.ack(message);
  }

  await untilShutdown(connection);
  await channel!.cancel(consumerTag!).catch(() => undefined); // no new tasks; unstarted ones go back to the queue
  await finishWork(working, config.shutdownTimeoutMs); // the current task is finished and acked (RABBITMQ_SHUTDOWN_TIMEOUT_MS)
  await channel!.close().catch(() => undefined); // its close-ok proves the broker has every ack
  await connection.close();
});

/** A poison task: copied to task_queue.dead with the reason, confirmed, then acked so it does not come back. */
async function deadLetter(channel: ConfirmChannel, message: ConsumeMessage, reason: string) {
  sendCopy(channel, DEAD, message, { 'x-first-death-queue': QUEUE, 'x-exception-message': reason });
  await channel.waitForConfirms();
  channel.ack(message);
  log(`moved a message from '${QUEUE}' to '${DEAD}': ${reason}`);
}
