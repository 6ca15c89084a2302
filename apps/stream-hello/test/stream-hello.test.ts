import { beforeAll, describe, expect, it } from 'vitest';
import { envFor, management, noStreamClient, runApp, startApp, uniqueName, useVhost } from '@rabbit-tutorials/testing';

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

  it('the stream protocol\'s refusals are explained as the AMQP programs explain them: one line, exit 1', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    const api = management();
    const user = { username: uniqueName('streamer'), password: uniqueName('pw') };
    await api.createUser(user.username, user.password);
    try {
      const send = async (env: Record<string, string>) => {
        const sent = await runApp('stream-hello', 'send', ['x'], env);
        expect(sent.code, sent.stderr).toBe(1);
        expect(sent.stderr.split('\n'), sent.stderr).toHaveLength(1);
        return sent.stderr;
      };
      // Wrong password.
      expect(await send(envFor(vhost.name, { ...user, password: 'wrong' })))
        .toMatch(/^error: access refused: user "streamer-\w+" could not log in to \S+: wrong user name or password \(stream protocol 8: authentication failure\)$/);
      // A vhost that does not exist, and one the user has no permissions on.
      for (const name of [uniqueName('nosuch'), vhost.name]) {
        expect(await send(envFor(name, user))).toMatch(new RegExp(`^error: virtual host "${name}" refused for user "${user.username}": ` +
          `if it does not exist, create it with rabbitmqctl add_vhost ${name}; else grant the user access: .*\\(stream protocol 12: virtual host access failure\\)$`));
      }
      // Permissions that do not cover the stream.
      await api.setPermissions(vhost.name, user.username, '^nothing$', '^nothing$', '^nothing$');
      expect(await send(envFor(vhost.name, user))).toMatch(/^error: user "streamer-\w+" may not use this stream in virtual host "test-[\w-]+": .*\(stream protocol 16: access refused\)$/);
      // The stream exists with other arguments.
      const connection = await vhost.connect();
      await (await connection.createChannel()).assertQueue('hello-nodejs-stream', { durable: true, arguments: { 'x-queue-type': 'stream', 'x-max-length-bytes': 1000 } });
      expect(await send(vhost.env)).toMatch(/^error: the stream exists with other arguments than this program declares: .*\(stream protocol 17: precondition failed\)$/);
    } finally {
      await api.deleteUser(user.username);
    }
  });
});
