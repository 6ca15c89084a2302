// Answers fib(n) requests from rpc_queue: the reply goes to the request's reply_to with its
// correlation_id, then the request is acked. Bad input gets an error reply (type "error"), never a
// crash or a requeue loop.
import { intOption, log, main, parseCli, runConsumer } from '@rabbit-tutorials/connection';
import { fib, parseN } from './fib.js';
import { RPC_QUEUE, RPC_QUEUE_OPTIONS } from './topology.js';

const USAGE = 'server [--prefetch N] [--quiet]';

main(async () => {
  const { values } = parseCli(process.argv.slice(2), { prefetch: { type: 'string' }, quiet: { type: 'boolean' } });
  // 1 as in the tutorial: requests spread evenly over several servers. Raise it for throughput.
  const prefetch = intOption('prefetch', values.prefetch, 1, 1, 65535);

  return runConsumer({
    name: 'rpc-fib-server',
    async setup({ channel, consume }) {
      await channel.assertQueue(RPC_QUEUE, RPC_QUEUE_OPTIONS);
      await channel.prefetch(prefetch);
      await consume(RPC_QUEUE, (request) => {
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
