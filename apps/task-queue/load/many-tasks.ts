// A load tool, not a template: N numbered tasks for task_queue ("<text> #1" ... "#N"), confirms pipelined,
// published again after a connection loss until all are confirmed (see bulk.ts). The tests and the bench
// use it to load the workers and to break brokers under them.
import { parseArgs } from 'node:util';
import { UsageError, intOption, loadConfig, main, messageText } from '@rabbit-tutorials/connection';
import { publishNumbered } from './bulk.js';

main(`many-tasks --count N [--window N] [message... | -]   (- reads it from standard input)
Queues N numbered persistent tasks on "task_queue" (durable, quorum), up to --window (default 1000) awaiting
their confirm at once, published again after a connection loss until all are confirmed; exits 0 then.
Example: npx nx run task-queue:many-tasks -- --count 10000 job`, async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { count: { type: 'string', short: 'n' }, window: { type: 'string' } },
  });
  if (values.count === undefined) throw new UsageError('--count is required');
  const count = intOption('count', values.count, 0, 1, 100_000_000);
  const window = intOption('window', values.window, 1000, 1, 1_000_000);
  const text = await messageText(positionals, 'Hello World!');
  // Declared as new-task and the worker declare it (RABBITMQ_QUEUE_TYPE=classic: as the classic tutorials did).
  const queueOptions = loadConfig().queueType === 'classic' ? { durable: true } : { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  return publishNumbered('task_queue', queueOptions, text, count, window);
});
