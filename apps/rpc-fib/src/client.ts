// RPC (tutorial 6), the client: asks the server for fib(n) and prints the answer. The request carries
// reply_to and a correlation_id; FibonacciClient (fibonacci-client.ts) matches the reply to it. Exit 1
// with one line on bad input or if no server answers within --timeout. --calls N measures N calls.
import { parseArgs } from 'node:util';
import { UsageError, connect, intOption, main } from '@rabbit-tutorials/connection';
import { FibonacciClient, RPC_QUEUE } from './fibonacci-client.js';
import { measureCalls } from './measure.js';

main('client [--timeout MS] [--callback-queue] [--queue NAME] [--calls N [--in-flight N]] <n>', async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    timeout: { type: 'string' }, 'callback-queue': { type: 'boolean' }, queue: { type: 'string' },
    calls: { type: 'string' }, 'in-flight': { type: 'string' },
  } });
  if (positionals.length > 1) throw new UsageError('give one n');
  const n = positionals[0] ?? '30';
  const timeoutMs = intOption('timeout', values.timeout, 10_000, 1, 3_600_000);
  const calls = intOption('calls', values.calls, 0, 1, 100_000_000);
  const inFlight = intOption('in-flight', values['in-flight'], 1, 1, 100_000);

  const connection = await connect();
  try {
    const client = await FibonacciClient.create(connection, {
      timeoutMs, queue: values.queue ?? RPC_QUEUE, replyTo: values['callback-queue'] ? 'exclusive' : 'direct',
    });
    if (calls) {
      const stats = await measureCalls(calls, inFlight, () => client.fib(n));
      console.log(`${stats.count} calls, ${inFlight} in flight: ${Math.round(stats.perSecond)} calls/s, p50 ${stats.p50Ms.toFixed(3)} ms, p99 ${stats.p99Ms.toFixed(3)} ms`);
    } else {
      console.log(` [x] Requesting fib(${n})`);
      console.log(` [.] Got ${await client.fib(n)}`);
    }
    await client.close();
  } finally {
    await connection.close().catch(() => undefined);
  }
});
