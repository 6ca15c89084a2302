import { beforeAll, describe, expect, it } from 'vitest';
import { noStreamClient, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
let tooOld: string | undefined;
beforeAll(async () => {
  tooOld = await noStreamClient();
});

describe('stream-hello: a stream over the stream protocol', () => {
  it('on a broker older than 3.11: one clear line, exit 1', async (ctx) => {
    if (!tooOld) return ctx.skip('this broker serves the stream client');
    const sent = await runApp('stream-hello', 'send', ['x'], vhost.env);
    expect(sent.code).toBe(1);
    expect(sent.stderr).toBe('error: the broker closed the stream connection: rabbitmq-stream-js-client needs RabbitMQ 3.11 or later');
  });

  it('send → two receivers, each from the first message; AMQP 0-9-1 readers see the same stream', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    expect((await runApp('stream-hello', 'send', [], vhost.env)).code).toBe(0);
    const readers = [startApp('stream-hello', 'receive', [], vhost.env), startApp('stream-hello', 'receive', [], vhost.env)];
    expect((await runApp('stream-hello', 'send', ['second'], vhost.env)).code).toBe(0);
    for (const reader of readers) {
      await reader.waitFor(/Received message second$/);
      expect(reader.matching(/Received/)).toEqual([' [x] Received message Test message', ' [x] Received message second']);
    }
    // Written over the stream protocol, read over AMQP 0-9-1, and the other way round.
    const amqp = startApp('stream-queue', 'receive', ['--offset', 'first'], vhost.env);
    await amqp.waitFor(/Received message second \(offset 1\)/);
    expect((await runApp('stream-queue', 'send', ['from-amqp'], vhost.env)).code).toBe(0);
    for (const reader of readers) await reader.waitFor(/Received message from-amqp$/);
  });

  it('no stream plugin on that port: one line naming the plugin', async () => {
    const refused = await runApp('stream-hello', 'send', ['x'], { ...vhost.env, RABBITMQ_STREAM_PORT: '1' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: cannot reach the stream port 1 of \S+: connection refused \(is RabbitMQ running with the stream plugin\? rabbitmq-plugins enable rabbitmq_stream; else check RABBITMQ_STREAM_PORT\)$/);
  });
});
