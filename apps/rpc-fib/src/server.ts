// RPC (tutorial 6), the server: answers fib(n) requests from rpc_queue. The reply goes to the
// request's reply_to with its correlation_id, then the request is acked. Bad input gets an error
// reply (type "error"): never a crash, never a requeue loop.
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { UsageError, connect, describeError, intOption, loadConfig, log, main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';
import { checkedQueue, fib, parseN } from './fib.js';

main(`server [--prefetch N] [--queue NAME] [--queue-type quorum|classic] [--quiet]
Answers fib(n) requests from "rpc_queue" (--queue; declared durable quorum, or --queue-type classic) to
each request's reply_to with its correlation_id, then acks it. --prefetch (default 1).
Example: npx nx run rpc-fib:server`, async () => {
  const { values } = parseArgs({ options: {
    prefetch: { type: 'string' }, queue: { type: 'string' }, 'queue-type': { type: 'string' }, quiet: { type: 'boolean' },
  } });
  const queue = checkedQueue(values.queue ?? 'rpc_queue');
  const config = loadConfig();
  // quorum as the tutorial declares rpc_queue; classic (default: RABBITMQ_QUEUE_TYPE) as the classic
  // tutorials did, transient, which also answers faster (no replicated write per request).
  const queueType = values['queue-type'] ?? config.queueType;
  if (queueType !== 'quorum' && queueType !== 'classic') throw new UsageError('--queue-type must be quorum or classic');
  const queueOptions = queueType === 'classic' ? { durable: false } : { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  // 1 as in the tutorial: requests spread evenly over several servers. Raise it for throughput.
  const prefetch = intOption('prefetch', values.prefetch, 1, 1, 65535);
  let channel: Channel;
  let consumerTag: string;
  // RabbitMQ 3.x: a reply to a direct reply-to whose client's node died crashes this channel in the broker
  // (INTERNAL_ERROR, the connection closes), and each request of that client would do it again. The
  // clients of the last replies before such a loss (with prefetch 1, that one) are not answered for a minute.
  const lastReplies: string[] = [];
  const unreachable = new Map<string, number>(); // reply-to channel -> until when
  const clientOf = (replyTo: string) => replyTo.slice(0, replyTo.startsWith('amq.rabbitmq.reply-to.') ? replyTo.lastIndexOf('.') : undefined);

  const connection = await connect({
    config,
    async setup(connection) {
      channel = await connection.createChannel();
      channel.on('error', (err) => stop(describeError(err)));
      await channel.assertQueue(queue, queueOptions);
      await channel.prefetch(prefetch);
      ({ consumerTag } = await channel.consume(queue, (request) => {
        if (!request) return stop(`the broker cancelled the consumer of '${queue}' (was the queue deleted? or, from RabbitMQ 4.3, a message held unacked past its consumer timeout)`);
        const { replyTo, correlationId } = request.properties;
        if (!replyTo) {
          log(`dropped a request without reply_to (correlation_id ${printable(String(correlationId ?? 'none'), 80)})`); // nobody to answer
          return channel.ack(request);
        }
        if ((unreachable.get(clientOf(replyTo)) ?? 0) > Date.now()) {
          log(`dropped a request (correlation_id ${printable(String(correlationId ?? 'none'), 80)}): a reply to its client closed the connection`);
          return channel.ack(request);
        }
        let body: string;
        let type: string | undefined;
        try {
          const n = parseN(request.content.toString());
          if (!values.quiet) console.log(` [.] fib(${n})`);
          body = fib(n).toString();
        } catch (err) {
          [body, type] = [(err as Error).message, 'error'];
          log(`error reply: ${printable(body)}`);
        }
        channel.sendToQueue(replyTo, Buffer.from(body), { correlationId, type });
        if (lastReplies.push(clientOf(replyTo)) > prefetch) lastReplies.shift();
        channel.ack(request); // after the reply is on its way: a crash before this line means the request is served again
      }));
      console.log(' [x] Awaiting RPC requests');
    },
  });

  connection.on('disconnect', (err: { code?: number }) => {
    if (err?.code === 541) for (const client of lastReplies.splice(0)) unreachable.set(client, Date.now() + 60_000);
  });

  await untilShutdown(connection);
  await channel!.cancel(consumerTag!).catch(() => undefined);
  await channel!.close().catch(() => undefined); // the replies and acks sent so far reach the broker first
  await connection.close();
});
