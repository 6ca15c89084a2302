// Queues a task (each "." in it is a second of work), or with --count N publishes N numbered tasks
// with pipelined publisher confirms. Exits 0 once the broker has confirmed every task.
import { UsageError, intOption, log, main, parseCli, publishAll, runProducer } from '@rabbit-tutorials/connection';
import { TASK_QUEUE, declareTaskQueue } from './topology.js';

const USAGE = 'new-task [--count N] [--window N] [message...]';

main(async () => {
  const { values, positionals } = parseCli(process.argv.slice(2), {
    count: { type: 'string', short: 'n' },
    window: { type: 'string' },
  });
  const count = intOption('count', values.count, 0, 1, 100_000_000);
  const window = intOption('window', values.window, 1000, 1, 1_000_000);
  const message = positionals.join(' ') || 'Hello World!';
  if (values.window !== undefined && !count) throw new UsageError('--window goes with --count');

  await runProducer('task-queue-new-task', async ({ channel, signal }) => {
    await declareTaskQueue(channel);
    if (!count) {
      // persistent: the task survives a broker restart (the queue is durable too).
      channel.sendToQueue(TASK_QUEUE, Buffer.from(message), { persistent: true });
      console.log(` [x] Sent ${message}`);
      return;
    }
    const started = performance.now();
    const confirmed = await publishAll(channel, count, (i) => ({
      exchange: '',
      routingKey: TASK_QUEUE,
      content: Buffer.from(`${message} #${i + 1}`),
      options: { persistent: true, messageId: String(i + 1) },
    }), { window, signal, onProgress: (done, total) => log(`confirmed ${done}/${total}`) });
    const seconds = (performance.now() - started) / 1000;
    console.log(` [x] Sent ${confirmed} tasks, all confirmed, in ${seconds.toFixed(2)} s (${Math.round(confirmed / seconds)} msg/s)`);
  });
}, USAGE);
