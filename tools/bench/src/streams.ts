// The streams rows: the same 30,000 persistent, confirmed messages published and read back three ways,
// a quorum queue and a stream over AMQP 0-9-1 (bare amqplib), and a stream over the stream protocol
// (rabbitmq-stream-js-client, which needs RabbitMQ 3.11 or later); and one region of three read back from a
// stream, with the broker's stream filter (3.13 or later) and by reading every message and picking here.
// Part of npm run bench, or alone: npx tsx tools/bench/src/streams.ts (RABBITMQ_URL, RABBITMQ_STREAM_PORT).
import { fileURLToPath } from 'node:url';
import { Offset, connect as connectStream } from 'rabbitmq-stream-js-client';
import { servesStreamClient, versionAtLeast } from '@rabbit-tutorials/broker';
import { main } from '@rabbit-tutorials/connection';
import { formatNumber } from '@rabbit-tutorials/management';
import { type StreamConfig, loadStreamConfig, streamParams } from '@rabbit-tutorials/stream';
import { barePublish, connectBare } from './bare.js';

export const STREAM_COUNT = 30_000;
/** Publishes awaiting confirms at most, every way (the main table's publish uses the same). */
const WINDOW = 1000;
const ROUNDS = 3;
const STREAM = { durable: true, arguments: { 'x-queue-type': 'stream' } };

/** note: why a row was not measured, a sentence of its own. */
export interface StreamRow { name: string; perSecond?: number; rounds?: number[]; note?: string }

/** Events of three regions, published 1,000 of a region at a time (as a service's batches come), read for one. */
const REGIONS = ['eu', 'us', 'asia'];
const BATCH = 1000;
const REGION_COUNT = STREAM_COUNT / REGIONS.length;

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

/**
 * Reads the events of "us" from the start of a stream of all three regions, until its last: with the
 * broker's filter (it sends the chunks holding "us"; a post-filter drops the others' events in them),
 * and without (every event sent, the region picked here). Events per second of "us", and how many the
 * broker sent to get them.
 */
async function filtering(config: StreamConfig): Promise<Record<'filtered' | 'all', { perSecond: number; sent: number }>> {
  const client = await connectStream(streamParams(config, 'bench'));
  try {
    const stream = 'bench-stream-filter';
    await client.deleteStream({ stream }).catch(() => undefined);
    await client.createStream({ stream, arguments: {} });
    const publisher = await client.declarePublisher({ stream }, (message) => message.applicationProperties?.region?.toString());
    let unconfirmed = STREAM_COUNT;
    const confirmed = new Promise<void>((resolve) => publisher.on('publish_confirm', (_code, ids) => (unconfirmed -= ids.length) === 0 && resolve()));
    for (let i = 0; i < STREAM_COUNT; i++) {
      const region = REGIONS[Math.floor(i / BATCH) % REGIONS.length]!;
      await publisher.send(Buffer.from(`event #${i} (${region})`), { applicationProperties: { region } });
    }
    await publisher.flush();
    await confirmed;
    const read = async (filter: boolean) => {
      let [sent, matched] = [0, 0]; // events the broker sent, and of them "us"
      let done!: (sentByThen: number) => void;
      const finished = new Promise<number>((resolve) => (done = resolve));
      const ours = (region: unknown) => region === 'us';
      const started = performance.now();
      const consumer = await client.declareConsumer({
        stream, offset: Offset.first(),
        ...(filter && { filter: { values: ['us'], matchUnfiltered: false, postFilterFunc: (message) => (sent++, ours(message.applicationProperties?.region)) } }),
      }, (message) => {
        if (!filter && (sent++, !ours(message.applicationProperties?.region))) return;
        if (++matched === REGION_COUNT) done(sent);
      });
      const sentByThen = await finished;
      const perSecond = REGION_COUNT / ((performance.now() - started) / 1000);
      await consumer.close();
      return { perSecond, sent: sentByThen };
    };
    return { filtered: await read(true), all: await read(false) };
  } finally {
    await client.close();
  }
}

/** Every row measured as the main table's: alternating rounds (the three ways in turn), best of each. */
export async function streamRows(url: string, config: StreamConfig, version: string): Promise<StreamRow[]> {
  type Run = { publish: number; consume: number };
  const runs = { quorum: [] as Run[], amqp: [] as Run[], protocol: [] as Run[] };
  const filters: Awaited<ReturnType<typeof filtering>>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    runs.quorum.push(await overAmqp(url, 'bench-quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
    runs.amqp.push(await overAmqp(url, 'bench-stream-amqp', STREAM));
    if (servesStreamClient(version)) runs.protocol.push(await overStreamProtocol(config));
    if (versionAtLeast(version, 3, 13)) filters.push(await filtering(config));
  }
  const missing = `the stream protocol needs RabbitMQ 3.11 or later (this broker is ${version})`;
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
    ...(['filtered', 'all'] as const).map((way): StreamRow => {
      const rounds = filters.map((f) => f[way].perSecond);
      const name = `one region of 3 from first: ${way === 'filtered' ? 'stream filter' : 'every event, picked here'} (stream protocol`;
      return rounds.length === 0 ? { name: `${name})`, note: `filtering needs RabbitMQ 3.13 or later (this broker is ${version})` }
        : { name: `${name}; the broker sent ${formatNumber(Math.max(...filters.map((f) => f[way].sent)))} of ${formatNumber(STREAM_COUNT)} for ${formatNumber(REGION_COUNT)})`, perSecond: Math.max(...rounds), rounds };
    }),
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main('streams   (RABBITMQ_URL and RABBITMQ_STREAM_PORT: the broker)\nThe streams rows of npm run bench alone: msg/s, best of three rounds, and each round.', async () => {
    const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@localhost:5672';
    const connection = await connectBare(url);
    const version = String(connection.connection.serverProperties.version);
    await connection.close();
    console.log(`RabbitMQ ${version}, Node ${process.version}`);
    for (const r of await streamRows(url, loadStreamConfig(), version)) {
      console.log(`${r.name}: ${r.perSecond ? `${Math.round(r.perSecond)} msg/s (rounds ${r.rounds!.map(Math.round).join(', ')})` : `n/a: ${r.note}`}`);
    }
  });
}
