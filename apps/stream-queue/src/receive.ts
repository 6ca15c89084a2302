// A stream read over AMQP 0-9-1: each consumer says where to start with x-stream-offset (first,
// last, next, an offset number, or a time), reads without removing anything, and many consumers
// read the same messages independently. Streams require a prefetch and manual acks (the ack only
// returns credit: nothing is deleted). Prints each message with its offset until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { UsageError, connect, describeError, main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';

// As send.ts and the stream client declare it: the same stream, whoever comes first.
const STREAM_OPTIONS = { durable: true, arguments: { 'x-queue-type': 'stream', 'x-max-length-bytes': 5_000_000_000 } };

main('receive [--stream NAME] [--offset first|last|next|N|TIME]   (TIME: ISO 8601, e.g. 2026-11-23T10:00:00Z)', async () => {
  const { values } = parseArgs({ options: { stream: { type: 'string' }, offset: { type: 'string' } } });
  const stream = values.stream ?? 'hello-nodejs-stream';
  const offset = streamOffset(values.offset ?? 'first');
  let channel: Channel;

  const connection = await connect({
    async setup(connection) {
      let reading = false;
      channel = await connection.createChannel();
      // In setup the failed call itself rejects, and connect() retries what can be retried (just after
      // a broker restart the stream is back a moment later than the node); once reading, it is the end.
      channel.on('error', (err) => reading && stop(describeError(err)));
      await channel.assertQueue(stream, STREAM_OPTIONS);
      await channel.prefetch(100); // required on a stream: how many messages may be on their way at once
      await channel.consume(stream, (message) => {
        if (!message) return stop(`the broker cancelled the consumer of '${stream}' (was the stream deleted?)`);
        const at = message.properties.headers?.['x-stream-offset'];
        console.log(` [x] Received message ${printable(message.content.toString())} (offset ${at})`);
        channel.ack(message); // returns the credit; the message stays in the stream
      }, { arguments: { 'x-stream-offset': offset } });
      reading = true;
      console.log(` [*] Reading '${stream}' from ${values.offset ?? 'first'}. To exit press CTRL+C`);
    },
  });

  await untilShutdown(connection);
  await channel!.close().catch(() => undefined);
  await connection.close();
});

/** first, last, next, an offset (a whole number) or a time (AMQP timestamp: whole seconds). */
function streamOffset(value: string): string | number | { '!': 'timestamp'; value: number } {
  if (['first', 'last', 'next'].includes(value)) return value;
  if (/^\d+$/.test(value)) return Number(value);
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d\d-\d\d/.test(value)) throw new UsageError(`--offset must be first, last, next, an offset or an ISO 8601 time (got "${printable(value, 40)}")`);
  return { '!': 'timestamp', value: Math.floor(time / 1000) };
}
