// The consume baseline as a process of its own, like the worker it is compared with (on 2 cores, a
// consumer inside the bench process would not compete with it for the CPU): manual acks, no work.
import amqplib from 'amqplib';

const [url, queue, prefetch] = process.argv.slice(2) as [string, string, string];
const connection = await amqplib.connect(url, { noDelay: true });
const channel = await connection.createChannel();
await channel.prefetch(Number(prefetch));
await channel.consume(queue, (message) => message && channel.ack(message));
console.log(' [*] Waiting for messages');
process.once('SIGTERM', () => void connection.close().then(() => process.exit(0)));
