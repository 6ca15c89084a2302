// The streams rows: the same 30,000 persistent, confirmed messages published and read back three ways,
// a quorum queue and a stream over AMQP 0-9-1 (bare amqplib), and a stream over the stream protocol
// (rabbitmq-stream-js-client, which needs RabbitMQ 3.11 or later).
import { Offset, connect as connectStream } from 'rabbitmq-stream-js-client';
import { servesStreamClient } from '@rabbit-tutorials/broker';
import { type StreamConfig, streamParams } from '@rabbit-tutorials/stream';
import { barePublish, connectBare } from './bare.js';

export const STREAM_COUNT = 30_000;
/** Publishes awaiting confirms at most, every way (the main table's publish uses the same). */
const WINDOW = 1000;
const ROUNDS = 3;
const STREAM = { durable: true, arguments: { 'x-queue-type': 'stream' } };

export interface StreamRow { name: string; perSecond?: number; rounds?: number[]; note?: string }

/** Publishes STREAM_COUNT messages with 1,000 awaiting confirms, then reads them back from the start. */
async function overAmqp(url: string, queue: string, options: object): Promise<{ publish: number; consume: number }> {
  const connection = await connectBare(url);
  try {
    const admin = await connection.createChannel();
    await admin.deleteQueue(queue);
    await admin.assertQueue(queue, options);
    let started = performance.now();
    await barePublish(await connection.createConfirmChannel(), queue, STREAM_COUNT, WINDOW, 'stream bench message');
    const publish = STREAM_COUNT / ((performance.now() - started) / 1000);
    const reader = await connection.createChannel();
    await reader.prefetch(1000);
    started = performance.now();
    await new Promise<void>((resolve) => {
      let seen = 0;
      void reader.consume(queue, (message) => {
        if (!message) return;
        reader.ack(message);
        if (++seen === STREAM_COUNT) resolve();
      }, options === STREAM ? { arguments: { 'x-stream-offset': 'first' } } : {});
    });
    return { publish, consume: STREAM_COUNT / ((performance.now() - started) / 1000) };
  } finally {
    await connection.close();
  }
}

async function overStreamProtocol(config: StreamConfig): Promise<{ publish: number; consume: number }> {
  const client = await connectStream(streamParams(config, 'bench'));
  try {
    const stream = 'bench-stream-protocol';
    await client.deleteStream({ stream }).catch(() => undefined);
    await client.createStream({ stream, arguments: {} });
    const publisher = await client.declarePublisher({ stream });
    let confirmed = 0;
    let wake: (() => void) | undefined;
    const allConfirmed = new Promise<void>((resolve, reject) => publisher.on('publish_confirm', (code, ids) => {
      if (code !== null) reject(new Error(`publish error ${code}`));
      if ((confirmed += ids.length) === STREAM_COUNT) resolve();
      wake?.();
    }));
    let started = performance.now();
    const body = Buffer.from('stream bench message');
    for (let i = 0; i < STREAM_COUNT; i++) {
      if (i - confirmed >= WINDOW) {
        await publisher.flush(); // the client batches sends: what waits for a confirm must be on its way
        while (i - confirmed >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
      }
      await publisher.send(body);
    }
    await publisher.flush();
    await allConfirmed;
    const publish = STREAM_COUNT / ((performance.now() - started) / 1000);
    started = performance.now();
    let seen = 0;
    await new Promise<void>((resolve) => void client.declareConsumer({ stream, offset: Offset.first() }, () => {
      if (++seen === STREAM_COUNT) resolve();
    }));
    return { publish, consume: STREAM_COUNT / ((performance.now() - started) / 1000) };
  } finally {
    await client.close();
  }
}

/** Every row measured as the main table's: alternating rounds (the three ways in turn), best of each. */
export async function streamRows(url: string, config: StreamConfig, version: string): Promise<StreamRow[]> {
  type Run = { publish: number; consume: number };
  const runs = { quorum: [] as Run[], amqp: [] as Run[], protocol: [] as Run[] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.quorum.push(await overAmqp(url, 'bench-quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
    runs.amqp.push(await overAmqp(url, 'bench-stream-amqp', STREAM));
    if (servesStreamClient(version)) runs.protocol.push(await overStreamProtocol(config));
  }
  const missing = `needs RabbitMQ 3.11 or later (this broker is ${version})`;
  const row = (name: string, way: keyof typeof runs, side: keyof Run): StreamRow => {
    const rounds = runs[way].map((r) => r[side]);
    return rounds.length > 0 ? { name, perSecond: Math.max(...rounds), rounds } : { name, note: missing };
  };
  return [
    row('publish, confirmed: quorum queue (AMQP 0-9-1)', 'quorum', 'publish'),
    row('publish, confirmed: stream (AMQP 0-9-1)', 'amqp', 'publish'),
    row('publish, confirmed: stream (stream protocol)', 'protocol', 'publish'),
    row('consume: quorum queue (AMQP 0-9-1, prefetch 1000)', 'quorum', 'consume'),
    row('consume from first: stream (AMQP 0-9-1, prefetch 1000)', 'amqp', 'consume'),
    row('consume from first: stream (stream protocol)', 'protocol', 'consume'),
  ];
}
