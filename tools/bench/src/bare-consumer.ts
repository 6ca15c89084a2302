// The consume baseline as a process of its own, like the worker it is compared with (on 2 cores, a
// consumer inside the bench process would not compete with it for the CPU): manual acks, after
// WORK_MS of simulated work per message (default none).
import amqplib from 'amqplib';

const [url, queue, prefetch, workMs = '0'] = process.argv.slice(2) as [string, string, string, string?];
const connection = await amqplib.connect(url, { noDelay: true });
const channel = await connection.createChannel();
await channel.prefetch(Number(prefetch));
await channel.consume(queue, (message) => {
  if (!message) return;
  if (Number(workMs) > 0) setTimeout(() => channel.ack(message), Number(workMs));
  else channel.ack(message);
});
console.log(' [*] Waiting for messages');
process.once('SIGTERM', () => void connection.close().then(() => process.exit(0)));
