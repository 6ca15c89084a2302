// RPC, many calls at once: fib of every n given, up to --in-flight calls waiting at a time on one
// connection, through the production client (concurrent-client.ts: replies matched by correlation id,
// a timeout and expiration per call, every waiting call failed at once if the connection goes).
// Prints each answer as it comes, then how many calls per second and how long a round trip took.
import { parseArgs } from 'node:util';
import { connect, intOption, main } from '@rabbit-tutorials/connection';
import { FibonacciClient } from './concurrent-client.js';
import { checkedN, checkedQueue } from './fib.js';
import { measureCalls } from './measure.js';

main(`many-calls [--in-flight N] [--timeout MS] [--queue NAME] [--quiet] <n>...   (--quiet: only the summary)
Calls fib(n) on "rpc_queue" (--queue) for every n given, up to --in-flight (default 32) at once, each
with --timeout (default 10000 ms); prints each answer, then calls/s and round-trip p50/p99.
Example: npx nx run rpc-fib:many-calls -- --in-flight 8 10 20 30`, async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    'in-flight': { type: 'string' }, timeout: { type: 'string' }, queue: { type: 'string' }, quiet: { type: 'boolean' },
  } });
  const ns = (positionals.length > 0 ? positionals : ['30']).map(checkedN);
  const inFlight = intOption('in-flight', values['in-flight'], 32, 1, 100_000);
  const timeoutMs = intOption('timeout', values.timeout, 10_000, 1, 3_600_000);
  const queue = checkedQueue(values.queue ?? 'rpc_queue');

  const connection = await connect();
  try {
    const client = await FibonacciClient.create(connection, { timeoutMs, queue });
    const stats = await measureCalls(ns.length, inFlight, (i) => client.fib(ns[i]!).then((answer) => {
      if (!values.quiet) console.log(` [.] fib(${ns[i]}) = ${answer}`);
    }));
    console.log(`${stats.count} calls, ${inFlight} in flight: ${Math.round(stats.perSecond)} calls/s, ` +
      `round trip p50 ${stats.p50Ms.toFixed(3)} ms, p99 ${stats.p99Ms.toFixed(3)} ms`);
    await client.close();
  } finally {
    await connection.close().catch(() => undefined);
  }
});
