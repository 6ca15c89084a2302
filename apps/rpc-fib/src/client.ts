// RPC (tutorial 6), the client: asks the server for fib(n) and prints the answer. The request carries
// reply_to (where to answer) and a correlation_id (which request an answer belongs to); the answer comes
// back through RabbitMQ's direct reply-to, or an exclusive callback queue as in the tutorial. Exit 1 with
// one line if no server answers within --timeout. Many calls at once, each with its timeout: many-calls.ts.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { UsageError, connect, intOption, main, printable } from '@rabbit-tutorials/connection';
import { checkedN, checkedQueue } from './fib.js';

main(`client [--timeout MS] [--callback-queue] [--queue NAME] <n>
Asks the server on "rpc_queue" (--queue) for fib(n) and prints the answer; the reply comes through direct
reply-to (amq.rabbitmq.reply-to), or --callback-queue: an exclusive queue as in the tutorial. Exit 1 if no
answer within --timeout (default 10000 ms).
Example: npx nx run rpc-fib:client -- 30`, async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    timeout: { type: 'string' }, 'callback-queue': { type: 'boolean' }, queue: { type: 'string' },
  } });
  if (positionals.length > 1) throw new UsageError('give one n');
  const n = checkedN(positionals[0] ?? '30');
  const queue = checkedQueue(values.queue ?? 'rpc_queue');
  const timeoutMs = intOption('timeout', values.timeout, 10_000, 1, 3_600_000);

  const connection = await connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    const channel = await connection.createChannel();
    // Direct reply-to needs no queue (and must be consumed before the request is sent); the tutorial's
    // callback queue is exclusive, named by the broker, and deleted with the connection.
    const replyTo = values['callback-queue'] ? (await channel.assertQueue('', { exclusive: true })).queue : 'amq.rabbitmq.reply-to';
    const correlationId = randomUUID();
    const answer = new Promise<string>((resolve, reject) => {
      void channel.consume(replyTo, (reply) => {
        if (reply?.properties.correlationId !== correlationId) return; // not the answer to this request
        // Printed escaped and cut, as every receiver prints what it got: any program can answer on a reply-to.
        if (reply.properties.type === 'error') reject(new Error(printable(reply.content.toString()))); // the server refused n
        else resolve(printable(reply.content.toString()));
      }, { noAck: true }).catch(reject);
      channel.on('close', () => reject(new Error('the connection to the broker closed while waiting for the reply')));
      // mandatory: a request that no queue takes (no server has declared it) comes back at once.
      channel.on('return', () => reject(new Error(`no queue '${queue}' took the request: is the server running (it declares the queue)?`)));
      timer = setTimeout(() => reject(new Error(`no reply from '${queue}' within ${timeoutMs} ms: is a server running?`)), timeoutMs);
    });
    console.log(` [x] Requesting fib(${n})`);
    // expiration: a request nobody took within the timeout is dropped, not computed later for nobody.
    channel.sendToQueue(queue, Buffer.from(String(n)), { correlationId, replyTo, mandatory: true, expiration: String(timeoutMs) });
    console.log(` [.] Got ${await answer}`);
  } finally {
    clearTimeout(timer);
    await connection.close().catch(() => undefined);
  }
});
