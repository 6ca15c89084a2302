// The RPC baseline server: bare amqplib, the same fib and the same reply as apps/rpc-fib/src/server.ts.
import amqplib from 'amqplib';

function fib(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

const [url, queue, prefetch] = process.argv.slice(2) as [string, string, string];
const connection = await amqplib.connect(url, { noDelay: true });
const channel = await connection.createChannel();
await channel.assertQueue(queue, { durable: false }); // as rpc-fib's server with --queue-type classic
await channel.prefetch(Number(prefetch));
await channel.consume(queue, (request) => {
  if (!request) return;
  const body = fib(Number(request.content.toString())).toString();
  channel.sendToQueue(request.properties.replyTo, Buffer.from(body), { correlationId: request.properties.correlationId });
  channel.ack(request);
});
console.log(' [x] Awaiting RPC requests');
process.once('SIGTERM', () => void connection.close().then(() => process.exit(0)));
