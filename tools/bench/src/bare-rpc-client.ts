// The RPC baseline client as a process of its own, like many-calls which it is compared with: bare
// amqplib, direct reply-to, replies matched by correlation id, `calls` calls with `inFlight` waiting.
// Its requests are many-calls' as the broker sees them, mandatory and with an expiration: the broker's
// work per call is then the same on both sides, and the ratio measures the client code.
// Prints many-calls' summary line.
import amqplib from 'amqplib';
import { measureCalls } from './index.js';

const [url, queue, calls, inFlight] = process.argv.slice(2) as [string, string, string, string];
const connection = await amqplib.connect(url, { noDelay: true });
const channel = await connection.createChannel();
const pending = new Map<string, () => void>();
await channel.consume('amq.rabbitmq.reply-to', (m) => m && pending.get(m.properties.correlationId)?.(), { noAck: true });
let id = 0;
const call = () => new Promise<void>((resolve) => {
  const correlationId = String(id++);
  pending.set(correlationId, () => (pending.delete(correlationId), resolve()));
  channel.sendToQueue(queue, Buffer.from('30'), { correlationId, replyTo: 'amq.rabbitmq.reply-to', mandatory: true, expiration: '10000' });
});
const stats = await measureCalls(Number(calls), Number(inFlight), call);
console.log(`${stats.count} calls, ${inFlight} in flight: ${Math.round(stats.perSecond)} calls/s, ` +
  `round trip p50 ${stats.p50Ms.toFixed(3)} ms, p99 ${stats.p99Ms.toFixed(3)} ms`);
await connection.close();
