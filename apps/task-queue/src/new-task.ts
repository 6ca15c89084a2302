// Queues a task (each "." in it is a second of work), or with --count N publishes N numbered tasks
// with pipelined publisher confirms. Exits 0 once the broker has confirmed every task.
import { BrokerError, UsageError, connect, intOption, loadConfig, log, main, parseCli, publishReliably, runProducer } from '@rabbit-tutorials/connection';
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

  if (!count) {
    await runProducer('task-queue-new-task', async ({ channel }) => {
      await declareTaskQueue(channel);
      // persistent: the task survives a broker restart (the queue is durable too).
      channel.sendToQueue(TASK_QUEUE, Buffer.from(message), { persistent: true });
      console.log(` [x] Sent ${message}`);
    });
    return;
  }

  // Bulk: pipelined confirms, and a lost connection (e.g. a broker restart) is survived by
  // reconnecting and publishing again whatever was not confirmed yet.
  const config = loadConfig();
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort()).once('SIGTERM', () => abort.abort());
  const started = performance.now();
  const result = await publishReliably(async () => {
    const connection = await connect(config, 'task-queue-new-task');
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined); // the close that follows is handled by publishReliably
    await declareTaskQueue(channel);
    return { channel, close: () => connection.close().catch(() => undefined) };
  }, count, (i) => ({
    exchange: '',
    routingKey: TASK_QUEUE,
    content: Buffer.from(`${message} #${i + 1}`),
    options: { persistent: true, messageId: String(i + 1) },
  }), {
    window,
    signal: abort.signal,
    onProgress: (done, total) => log(`confirmed ${done}/${total}`),
    onReconnect: (err) => log(`${err.message}; reconnecting to publish the rest`),
  });
  if (abort.signal.aborted) throw new BrokerError(`interrupted: ${result.confirmed} of ${count} tasks confirmed`, true);
  const seconds = (performance.now() - started) / 1000;
  console.log(` [x] Sent ${result.confirmed} tasks, all confirmed, in ${seconds.toFixed(2)} s (${Math.round(result.confirmed / seconds)} msg/s)`);
}, USAGE);
