// Asks the server for fib(n) and prints the answer, as in the tutorial. Exit 1 with a clear line on
// bad input, or if no server answers within --timeout.
import { UsageError, connect, intOption, loadConfig, main, parseCli } from '@rabbit-tutorials/connection';
import { FibonacciClient } from './fibonacci-client.js';

const USAGE = 'client [--timeout MS] [--callback-queue] <n>';

main(async () => {
  const { values, positionals } = parseCli(process.argv.slice(2), {
    timeout: { type: 'string' },
    'callback-queue': { type: 'boolean' },
  });
  if (positionals.length > 1) throw new UsageError('give one n');
  const n = positionals[0] ?? '30';
  const timeoutMs = intOption('timeout', values.timeout, 10_000, 1, 3_600_000);

  const connection = await connect(loadConfig(), 'rpc-fib-client');
  try {
    const client = await FibonacciClient.create(connection, { timeoutMs, replyTo: values['callback-queue'] ? 'exclusive' : 'direct' });
    console.log(` [x] Requesting fib(${n})`);
    console.log(` [.] Got ${await client.fib(n)}`);
    await client.close();
  } finally {
    await connection.close().catch(() => undefined);
  }
}, USAGE);
