import { describe, expect, it } from 'vitest';
import { managementFromEnv } from '@rabbit-tutorials/management';
import { broker, eventually, freePort, publishConfirmed, runApp, startDedicatedBroker, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
const env = () => ({ ...vhost.env, RABBITMQ_MANAGEMENT_URL: broker().managementUrl });

describe('inspect', () => {
  it('lists queues with their depths, exchanges and bindings', async () => {
    const connection = await vhost.connect();
    const channel = await connection.createChannel();
    await channel.assertQueue('task_queue', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.assertExchange('direct_logs', 'direct', { durable: false });
    await channel.assertQueue('audit', { durable: true });
    await channel.bindQueue('audit', 'direct_logs', 'error');
    await publishConfirmed(connection, '', [1, 2, 3].map((i) => ({ routingKey: 'task_queue', body: `t${i}` })));

    // The management API's figures lag the broker by a few seconds.
    let queues = '';
    await eventually(async () => {
      queues = (await runApp('inspect', 'inspect', ['queues'], env())).stdout;
      return /^task_queue +quorum +3 +0 +0 +true +\{"x-queue-type":"quorum"\}$/m.test(queues);
    }, 30_000, 'task_queue with 3 ready messages in the queues table');
    expect(queues.split('\n')[0]).toMatch(/^name +type +messages_ready +messages_unacknowledged +consumers +durable +arguments$/);
    expect(queues).toMatch(/^audit +classic +0 +0 +0 +true/m);

    const exchanges = await runApp('inspect', 'inspect', ['exchanges'], env());
    expect(exchanges.code).toBe(0);
    expect(exchanges.stdout).toMatch(/^direct_logs +direct +false +false +false$/m);
    expect(exchanges.stdout).toMatch(/^\(default\) +direct +true/m);

    const bindings = await runApp('inspect', 'inspect', ['bindings'], env());
    expect(bindings.stdout).toMatch(/^direct_logs +audit +queue +error *$/m);
  });

  it('prints names escaped: a queue or binding named with terminal escapes cannot set the title or clear the screen', async () => {
    const connection = await vhost.connect();
    const channel = await connection.createChannel();
    const evil = '\x1b]0;PWNED\x07\x1b[2J\x1b[31mevil\u202e';
    await channel.assertQueue(evil, { durable: true });
    await channel.assertExchange('x', 'direct', { durable: false });
    await channel.bindQueue(evil, 'x', evil);
    for (const what of ['queues', 'bindings']) {
      const listed = await runApp('inspect', 'inspect', [what], env());
      expect(listed.code).toBe(0);
      expect(listed.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
      expect(listed.stdout).toContain('\\x1b]0;PWNED\\x07\\x1b[2J\\x1b[31mevil\\u202e');
    }
  });

  it('refuses another broker\'s management API: one line naming both, exit 1', async (ctx) => {
    const other = await startDedicatedBroker({});
    if (typeof other === 'string') return ctx.skip(other);
    try {
      const mixed = await runApp('inspect', 'inspect', ['queues'], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: other.info.managementUrl });
      expect(mixed.code).toBe(1);
      expect(mixed.stdout).toBe('');
      expect(mixed.stderr).toMatch(new RegExp(`^error: the management API at ${other.info.managementUrl.replace(/\./g, '\\.')} is broker "[^"]+", ` +
        'but amqp://\\S+ is "[^"]+": set RABBITMQ_MANAGEMENT_URL to the management port of the same broker$'));
    } finally {
      await other.stop();
    }
  });

  it('a badly encoded RABBITMQ_MANAGEMENT_URL is one line naming the variable', async () => {
    const bad = await runApp('inspect', 'inspect', ['queues'], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: 'http://guest:MGMT%ZZ@127.0.0.1:15672' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: RABBITMQ_MANAGEMENT_URL has a badly encoded password (a % not followed by two hex digits)');
  });

  it('usage and an unreachable management API give one clear line, exit 2 and 1', async () => {
    const usage = await runApp('inspect', 'inspect', ['channels'], env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('error: say what to list: queues, exchanges or bindings\nusage: inspect <queues|exchanges|bindings>');
    const closed = await freePort();
    const down = await runApp('inspect', 'inspect', ['queues'], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: `http://127.0.0.1:${closed}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`error: cannot reach the management API at http://127.0.0.1:${closed} (ECONNREFUSED): is the rabbitmq_management plugin on?`);
  });

  it('with AMQP over TLS it uses https, with the same CA; an untrusted certificate is one clear line', async (ctx) => {
    const { tls } = broker();
    if (!tls) return ctx.skip('the broker has no TLS listener');
    const amqps = { RABBITMQ_URL: `amqps://guest:guest@${tls.host}:${tls.port}/${encodeURIComponent(vhost.name)}`, RABBITMQ_MANAGEMENT_URL: `https://${tls.host}:${tls.managementPort}` };
    const ok = await runApp('inspect', 'inspect', ['exchanges'], { ...amqps, RABBITMQ_SSL_CA: tls.ca });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^amq\.direct +direct/m);
    const untrusted = await runApp('inspect', 'inspect', ['exchanges'], { ...amqps, RABBITMQ_SSL_CA: tls.otherCa });
    expect(untrusted.code).toBe(1);
    // The AMQP connection (made first, to check that both are the same broker) says it.
    expect(untrusted.stderr).toMatch(/^error: TLS: the broker certificate at amqps:\/\/\S+ is not trusted \(\w+\): set RABBITMQ_SSL_CA to the CA file that signed it$/);
  });

  it('never sends the password over plain http to another host unless asked to', () => {
    expect(managementFromEnv({ RABBITMQ_URL: 'amqps://u:p@rabbit.example.com/' })).toMatchObject({ url: 'https://rabbit.example.com:15671', username: 'u', tls: { verify: true } });
    expect(() => managementFromEnv({ RABBITMQ_URL: 'amqp://u:p@rabbit.example.com/' }))
      .toThrow('not sending the password over plain http to rabbit.example.com: set RABBITMQ_MANAGEMENT_URL (https://rabbit.example.com:15671, or http://rabbit.example.com:15672 to accept it)');
    expect(managementFromEnv({ RABBITMQ_URL: 'amqp://u:p@rabbit.example.com/', RABBITMQ_MANAGEMENT_URL: 'http://rabbit.example.com:15672' }).url).toBe('http://rabbit.example.com:15672');
    expect(managementFromEnv({ RABBITMQ_HOST: 'localhost' }).url).toBe('http://localhost:15672');
  });
});
