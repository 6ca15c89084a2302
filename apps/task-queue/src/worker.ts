// Takes tasks from task_queue one at a time (prefetch 1 = fair dispatch among workers), "works" one
// second per dot, and acks after the work: a worker killed mid-task loses nothing, the task goes to
// another worker. A task it cannot process (not UTF-8, empty, or one that keeps crashing workers)
// goes to task_queue.dead. SIGINT/SIGTERM finish the current task first.
import { intOption, main, parseCli, runConsumer, utf8 } from '@rabbit-tutorials/connection';
import { DEAD_LETTER_QUEUE, TASK_QUEUE, declareDeadLetterQueue, declareTaskQueue } from './topology.js';

const USAGE = 'worker [--prefetch N] [--dot-ms MS] [--max-deliveries N]';

main(async () => {
  const { values } = parseCli(process.argv.slice(2), {
    prefetch: { type: 'string' },
    'dot-ms': { type: 'string' },
    'max-deliveries': { type: 'string' },
  });
  const prefetch = intOption('prefetch', values.prefetch, 1, 1, 65535);
  const dotMs = intOption('dot-ms', values['dot-ms'], 1000, 0, 3_600_000);
  const maxDeliveries = intOption('max-deliveries', values['max-deliveries'], 5, 1, 1000);

  return runConsumer({
    name: 'task-queue-worker',
    async setup({ channel, consume }) {
      await declareTaskQueue(channel);
      await declareDeadLetterQueue(channel);
      // At most `prefetch` unacked tasks per worker: a busy worker gets no new task.
      await channel.prefetch(prefetch);
      await consume(TASK_QUEUE, async (message) => {
        const task = utf8(message.content);
        if (task.trim() === '') throw new Error('empty task');
        // redelivered: an earlier delivery was not acked (a worker died or disconnected mid-task).
        console.log(` [x] Received ${task}${message.fields.redelivered ? ' (redelivered)' : ''}`);
        const dots = task.split('.').length - 1;
        await new Promise((resolve) => setTimeout(resolve, dots * dotMs));
        console.log(` [x] Done ${task}`);
      }, { deadLetterQueue: DEAD_LETTER_QUEUE, maxDeliveries });
      console.log(' [*] Waiting for messages. To exit press CTRL+C');
    },
  });
}, USAGE);
