// Measures the RPC round trip with the real server process: sequential calls (latency) and 32 calls
// in flight (throughput), on a quorum queue (as the tutorial declares rpc_queue) and a classic one,
// for the server's default prefetch 1 and a raised one. Uses its own queues, deleted afterwards.
import { connect, intOption, loadConfig, main, parseCli } from '@rabbit-tutorials/connection';
import { measureCalls, table } from '@rabbit-tutorials/bench';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FibonacciClient } from './fibonacci-client.js';
import type { QueueType } from './topology.js';

const USAGE = 'bench [--calls N] [--in-flight N]';

/** Starts the server users run, waits until it consumes, returns a stop function. */
async function startServer(queue: string, queueType: QueueType, prefetch: number): Promise<() => Promise<void>> {
  const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./server.ts', import.meta.url)),
    '--queue', queue, '--queue-type', queueType, '--prefetch', String(prefetch), '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('Awaiting RPC requests') && resolve());
    server.once('exit', (code) => reject(new Error(`the server exited (${code}) before it was ready`)));
  });
  return async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  };
}

main(async () => {
  const { values } = parseCli(process.argv.slice(2), { calls: { type: 'string' }, 'in-flight': { type: 'string' } });
  const calls = intOption('calls', values.calls, 10_000, 100, 10_000_000);
  const inFlight = intOption('in-flight', values['in-flight'], 32, 2, 10_000);
  const connection = await connect(loadConfig(), 'rpc-fib-bench');
  const rows: (string | number)[][] = [];
  try {
    for (const queueType of ['quorum', 'classic'] as const) {
      const queue = `rpc_queue.bench-${queueType}`;
      const client = await FibonacciClient.create(connection, { queue });
      for (const prefetch of [1, inFlight]) {
        const stop = await startServer(queue, queueType, prefetch);
        try {
          await measureCalls(2000, inFlight, () => client.fib(30)); // warm-up: JIT, connections, queues
          for (const concurrency of [1, inFlight]) {
            const stats = await measureCalls(concurrency === 1 ? Math.min(calls, 5000) : calls, concurrency, () => client.fib(30));
            rows.push([`${queueType}, prefetch ${prefetch}, ${concurrency === 1 ? 'sequential' : `${concurrency} in flight`}`,
              stats.count, stats.perSecond, stats.p50Ms, stats.p99Ms]);
          }
        } finally {
          await stop();
        }
      }
      await client.close();
      const cleanup = await connection.createChannel();
      await cleanup.deleteQueue(queue);
      await cleanup.close();
    }
  } finally {
    await connection.close();
  }
  console.log(table(['fib(30) over RabbitMQ: queue, server prefetch, calls', 'calls', 'calls/s', 'p50 ms', 'p99 ms'], rows));
}, USAGE);
