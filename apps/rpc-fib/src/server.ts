// Answers fib(n) requests from rpc_queue: the reply goes to the request's reply_to with its
// correlation_id, then the request is acked. Bad input gets an error reply (type "error"), never a
// crash or a requeue loop.
import { UsageError, intOption, log, main, parseCli, runConsumer } from '@rabbit-tutorials/connection';
import { fib, parseN } from './fib.js';
import { RPC_QUEUE, rpcQueueOptions } from './topology.js';

const USAGE = 'server [--prefetch N] [--queue NAME] [--queue-type quorum|classic] [--quiet]';

main(async () => {
  const { values } = parseCli(process.argv.slice(2), {
    prefetch: { type: 'string' },
    queue: { type: 'string' },
    'queue-type': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const queue = values.queue ?? RPC_QUEUE;
  const queueType = values['queue-type'] ?? 'quorum';
  if (queueType !== 'quorum' && queueType !== 'classic') throw new UsageError('--queue-type must be quorum or classic');
  // 1 as in the tutorial: requests spread evenly over several servers. Raise it for throughput.
  const prefetch = intOption('prefetch', values.prefetch, 1, 1, 65535);

  return runConsumer({
    name: 'rpc-fib-server',
    async setup({ channel, consume }) {
      await channel.assertQueue(queue, rpcQueueOptions(queueType));
      await channel.prefetch(prefetch);
      await consume(queue, (request) => {
        const { replyTo, correlationId } = request.properties;
        if (!replyTo) {
          // Nobody to answer: acking drops it (retrying could never succeed).
          log(`dropped a request without reply_to (correlation_id ${correlationId ?? 'none'})`);
          return;
        }
        let body: string;
        let type: string | undefined;
        try {
          const n = parseN(request.content.toString());
          if (!values.quiet) console.log(` [.] fib(${n})`);
          body = fib(n).toString();
        } catch (err) {
          body = (err as Error).message;
          type = 'error';
          log(`error reply: ${body}`);
        }
        channel.sendToQueue(replyTo, Buffer.from(body), { correlationId, type });
      });
      console.log(' [x] Awaiting RPC requests');
    },
  });
}, USAGE);
