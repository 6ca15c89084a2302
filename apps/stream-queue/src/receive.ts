// A stream read over AMQP 0-9-1: each consumer says where to start with x-stream-offset (first,
// last, next, an offset number, or a time), reads without removing anything, and many consumers
// read the same messages independently. Streams require a prefetch and manual acks (the ack only
// returns credit: nothing is deleted). Prints each message with its offset until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import type { Channel } from 'amqplib';
import { UsageError, connect, describeError, main, printable, stop, untilShutdown } from '@rabbit-tutorials/connection';

// As send.ts and the stream client declare it: the same stream, whoever comes first.
const STREAM_OPTIONS = { durable: true, arguments: { 'x-queue-type': 'stream', 'x-max-length-bytes': 5_000_000_000 } };

main(`receive [--stream NAME] [--offset first|last|next|N|TIME]   (TIME: ISO 8601, e.g. 2026-11-23T10:00:00Z)
Reads the stream "hello-nodejs-stream" (--stream) over AMQP 0-9-1 from --offset (default first) and prints
each message with its offset until Ctrl+C; nothing is removed.
Example: npx nx run stream-queue:receive -- --offset first`, async () => {
  const { values } = parseArgs({ options: { stream: { type: 'string' }, offset: { type: 'string' } } });
  const stream = values.stream ?? 'hello-nodejs-stream';
  const offset = streamOffset(values.offset ?? 'first');
  let channel: Channel;
  let next: bigint | undefined; // after a reconnect, read on from the message after the last one read: no replay, no gap

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
        if (typeof at === 'number') next = BigInt(at) + 1n;
        channel.ack(message); // returns the credit; the message stays in the stream
      }, { arguments: { 'x-stream-offset': next === undefined ? offset : { '!': 'long', value: next } } });
      reading = true;
      console.log(` [*] Reading '${stream}' from ${values.offset ?? 'first'}. To exit press CTRL+C`);
    },
  });

  await untilShutdown(connection);
  await channel!.close().catch(() => undefined);
  await connection.close();
});

/**
 * first, last, next, an offset (0 to 2^63-1, sent exactly as a long) or a time: a real calendar date,
 * optionally with a time and a zone (Z or +hh:mm; none means UTC), from 1970 on (AMQP timestamps are
 * unsigned seconds). Anything else is a usage error before connecting.
 */
function streamOffset(value: string): string | { '!': 'long' | 'timestamp'; value: bigint | number } {
  if (['first', 'last', 'next'].includes(value)) return value;
  const wrong = () => new UsageError('--offset must be first, last, next, an offset from 0 to 9223372036854775807, ' +
    `or an ISO 8601 time from 1970 on, e.g. 2026-11-23 or 2026-11-23T10:00:00Z (got "${printable(value, 40)}")`);
  if (/^\d{1,19}$/.test(value)) {
    const offset = BigInt(value);
    if (offset > 2n ** 63n - 1n) throw wrong();
    return { '!': 'long', value: offset };
  }
  const time = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)?)?$/.exec(value);
  if (!time) throw wrong();
  const [, y, mo, d, h = '0', mi = '0', sec = '0', zone = 'Z'] = time;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  const date = new Date(utc);
  // Date.UTC rolls over (2026-02-30 would be 2 March): a date that does not round-trip does not exist.
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) ||
    Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) throw wrong();
  const offsetMinutes = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const seconds = Math.floor((utc - offsetMinutes * 60_000) / 1000);
  if (seconds < 0) throw wrong();
  return { '!': 'timestamp', value: seconds };
}
