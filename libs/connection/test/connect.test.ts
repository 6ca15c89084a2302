import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BrokerError, connect, loadConfig } from '../src/index.js';
import { broker, envFor, management, runApp, startDedicatedBroker, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

/** Config for the test vhost, with overrides (e.g. TLS variables). */
function config(extra: Record<string, string> = {}) {
  return loadConfig({ ...vhost.env, RABBITMQ_CONNECTION_ATTEMPTS: '1', ...extra });
}

function tlsEnv(extra: Record<string, string> = {}): Record<string, string> {
  const info = broker();
  return { RABBITMQ_URL: `amqps://guest:guest@${info.tls!.host}:${info.tls!.port}/${encodeURIComponent(vhost.name)}`, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<BrokerError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(BrokerError);
  return err as BrokerError;
}

async function roundTrip(env: Record<string, string>) {
  const connection = await connect({ config: config(env), name: 'connect-test' });
  try {
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    channel.sendToQueue(queue, Buffer.from('ping'));
    let message = null;
    for (let i = 0; i < 50 && !message; i++) {
      message = await channel.get(queue, { noAck: true });
      if (!message) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(message && message.content.toString()).toBe('ping');
  } finally {
    await connection.close();
  }
}

describe('connect', () => {
  it('connects over plain AMQP to a non-default vhost, named in the management UI', async () => {
    const connection = await connect({ config: config({ RABBITMQ_CONNECTION_NAME: `named-${vhost.name}` }) });
    try {
      let names: string[] = [];
      // The management API's connection list is refreshed every few seconds.
      for (let i = 0; i < 60 && !names.includes(`named-${vhost.name}`); i++) {
        names = (await management().connections()).filter((c) => c.vhost === vhost.name).map((c) => c.client_properties?.connection_name ?? '');
        if (!names.includes(`named-${vhost.name}`)) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(names).toContain(`named-${vhost.name}`);
    } finally {
      await connection.close();
    }
    await roundTrip({});
  });

  it('refuses a wrong password at once, without retrying and without showing it', async () => {
    const info = broker();
    const started = Date.now();
    const err = await failure(connect({ config: loadConfig({
      RABBITMQ_URL: `amqp://guest:WrongPassword1@${info.hostname}:${info.port}/${encodeURIComponent(vhost.name)}`,
      RABBITMQ_CONNECTION_ATTEMPTS: '5', RABBITMQ_RETRY_DELAY_MS: '2000',
    }) }));
    expect(err.message).toMatch(/^access refused: user "guest" could not log in to amqp:\/\/guest@.*: wrong user name or password \(403 ACCESS_REFUSED\)$/);
    expect(err.message).not.toContain('WrongPassword1');
    expect(err.fatal).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    // The broker's answer is the same when guest connects from another host: then say why.
    const { describeError } = await import('../src/index.js');
    expect(describeError(err.cause, loadConfig({ RABBITMQ_URL: 'amqp://guest:x@rabbit.example.com' })))
      .toBe('access refused: user "guest" could not log in to amqp://guest@rabbit.example.com:5672/%2F: guest may only connect from localhost: ' +
        'set RABBITMQ_USER and RABBITMQ_PASSWORD to a user of that broker (403 ACCESS_REFUSED)');
  });

  it('names a missing vhost and how to create it, at once', async () => {
    const info = broker();
    const err = await failure(connect({ config: loadConfig({
      RABBITMQ_URL: `amqp://guest:guest@${info.hostname}:${info.port}/no-such-vhost`, RABBITMQ_RETRY_DELAY_MS: '5000',
    }) }));
    expect(err.message).toBe('virtual host "no-such-vhost" refused for user "guest": if it does not exist, create it with rabbitmqctl add_vhost no-such-vhost; ' +
      `else grant the user access: rabbitmqctl set_permissions -p no-such-vhost guest '.*' '.*' '.*' (530 NOT_ALLOWED)`);
    expect(err.fatal).toBe(true);
  });

  it('retries a refused connection with backoff, then says the broker is unreachable', async () => {
    const started = Date.now();
    const err = await failure(connect({ config: loadConfig({ RABBITMQ_URL: 'amqp://127.0.0.1:1/', RABBITMQ_CONNECTION_ATTEMPTS: '3', RABBITMQ_RETRY_DELAY_MS: '100' }) }));
    expect(err.message).toBe('cannot reach the broker at amqp://guest@127.0.0.1:1/%2F: connection refused (is RabbitMQ running and listening there?)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // 100 + 200 ms of backoff
  });

  it('several addresses, fewer attempts than addresses: the error names the ones tried, and how many were not', async () => {
    const ports = [1, 2, 3, 4, 5].map((p) => `127.0.0.1:${p}`);
    const err = await failure(connect({ config: loadConfig({ RABBITMQ_HOST: ports.join(','), RABBITMQ_CONNECTION_ATTEMPTS: '2', RABBITMQ_RETRY_DELAY_MS: '10' }) }));
    expect(err.message).toMatch(/^cannot reach the broker at amqp:\/\/guest@127\.0\.0\.1:\d\/%2F: connection refused \(is RabbitMQ running and listening there\?\) \(after 2 attempts over 127\.0\.0\.1:\d, 127\.0\.0\.1:\d; 3 more not tried: raise RABBITMQ_CONNECTION_ATTEMPTS\)$/);
  });

  it('a port that answers but not with AMQP (an HTTP server) fails at once with one line, no retries', async () => {
    // What RabbitMQ 4's management port answers to the AMQP protocol header.
    const http = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    try {
      const started = Date.now();
      const err = await failure(connect({ config: loadConfig({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}/`, RABBITMQ_CONNECTION_ATTEMPTS: '5', RABBITMQ_RETRY_DELAY_MS: '2000' }) }));
      expect(err.message).toBe(`the port at amqp://guest@127.0.0.1:${port}/%2F answered, but not with AMQP (the management port, or another service's?): check RABBITMQ_PORT or RABBITMQ_URL`);
      expect(err.fatal).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      http.close();
    }
  });

  it('the management port given for AMQP: one line saying it is the management UI, and where AMQP listens; no retries', async () => {
    // RabbitMQ's real management listener: silent on AMQP's protocol header, it closes after a while.
    const port = Number(new URL(broker().managementUrl).port);
    const started = Date.now();
    const err = await failure(connect({ config: loadConfig({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}/`, RABBITMQ_CONNECTION_ATTEMPTS: '5' }) }));
    expect(err.message).toBe(`port ${port} at 127.0.0.1 is an HTTP server: the management UI, not AMQP: RabbitMQ listens for AMQP on 5672 (5671 with TLS); ` +
      'check RABBITMQ_PORT or the port in RABBITMQ_URL');
    expect(err.fatal).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000); // one attempt, not five
  });

  it('RabbitMQ\'s well-known other ports (15672...) are told apart before any attempt, in a second or two', async (ctx) => {
    // Like the management UI: silent on AMQP's header, an HTTP answer to a GET.
    const fake = createServer((socket) => socket.on('data', (data) => {
      if (data.toString().startsWith('GET ')) socket.end('HTTP/1.1 404 Not Found\r\ncontent-security-policy: script-src \'self\'\r\n\r\n');
    }));
    const listening = await new Promise<boolean>((resolve) => fake.once('error', () => resolve(false)).listen(15672, '127.0.0.1', () => resolve(true)));
    if (!listening) return ctx.skip('port 15672 is taken on this machine');
    try {
      const started = Date.now();
      const err = await failure(connect({ config: loadConfig({ RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:15672/', RABBITMQ_CONNECTION_ATTEMPTS: '5' }) }));
      expect(err.message).toMatch(/^port 15672 at 127\.0\.0\.1 is an HTTP server: the management UI, not AMQP: RabbitMQ listens for AMQP on 5672/);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      fake.close();
    }
  });

  it('a port that accepts and says nothing (a frozen broker) is a timeout, retried: not called another service', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const err = await failure(connect({ config: loadConfig({ RABBITMQ_URL: `amqp://127.0.0.1:${port}/`, RABBITMQ_CONNECT_TIMEOUT_MS: '500', RABBITMQ_CONNECTION_ATTEMPTS: '2', RABBITMQ_RETRY_DELAY_MS: '10' }) }));
      expect(err.message).toMatch(/^timed out connecting to the broker at amqp:\/\/guest@127\.0\.0\.1:\d+\/%2F/);
      expect(err.fatal).toBe(false);
    } finally {
      silent.close();
    }
  });

  it('bounds the whole handshake by RABBITMQ_CONNECT_TIMEOUT_MS, even against a server that trickles bytes', async () => {
    // Sends the start of an AMQP frame, then one byte now and then: a socket that is never idle.
    const trickle = createServer((socket) => {
      socket.write(Buffer.from([1]));
      const timer = setInterval(() => socket.write(Buffer.from([0])), 200);
      socket.on('close', () => clearInterval(timer)).on('error', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickle.listen(0, '127.0.0.1', resolve));
    const { port } = trickle.address() as AddressInfo;
    try {
      const started = Date.now();
      const err = await failure(connect({ config: loadConfig({ RABBITMQ_URL: `amqp://127.0.0.1:${port}/`, RABBITMQ_CONNECT_TIMEOUT_MS: '1000', RABBITMQ_CONNECTION_ATTEMPTS: '1' }) }));
      expect(err.message).toMatch(/^timed out connecting to the broker at amqp:\/\/guest@127\.0\.0\.1:\d+\/%2F/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      trickle.close();
    }
  });

  it('explains a 406 inequivalent redeclare: queue, argument, and what to do', async () => {
    const connection = await vhost.connect();
    const channel = await connection.createChannel();
    await channel.assertQueue('orders', { durable: false });
    const second = await connection.createChannel();
    second.on('error', () => undefined);
    const { describeError } = await import('../src/index.js');
    const err = await second.assertQueue('orders', { durable: true }).catch((e: unknown) => describeError(e, config()));
    expect(err).toBe(
      `queue 'orders' in vhost '${vhost.name}' already exists with durable = 'false', but this program declares durable = 'true': ` +
      `declare it with the same arguments, or delete it (rabbitmqctl delete_queue -p ${vhost.name} orders) if its messages can go (406 PRECONDITION_FAILED)`);
    const third = await connection.createChannel();
    third.on('error', () => undefined);
    const missing = await third.checkQueue('nowhere').catch((e: unknown) => describeError(e, config()));
    expect(missing).toBe(`queue 'nowhere' does not exist in vhost '${vhost.name}': start the program that declares it first, or declare it here (404 NOT_FOUND)`);
    // RabbitMQ 4.3 closes the connection when a classic tutorial declares its transient queue; the
    // broker here is older, so this is the close as amqplib reports it, with the text 4.3 sends.
    const refused = new Error('Connection closed: 541 (INTERNAL-ERROR) with message "INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated. ' +
      'By default, this feature is not permitted anymore."');
    const { isFatal } = await import('../src/errors.js');
    expect(isFatal(refused)).toBe(true);
    expect(describeError(refused, config())).toBe('this broker refuses non-durable shared queues (RabbitMQ 4.3 and later): use RABBITMQ_QUEUE_TYPE=quorum, ' +
      'or permit them in its configuration with deprecated_features.permit.transient_nonexcl_queues = true (541 INTERNAL_ERROR)');
  });
});

describe('TLS', () => {
  it('connects with the CA that signed the broker certificate', async (ctx) => {
    if (!broker().tls) ctx.skip();
    await roundTrip(tlsEnv({ RABBITMQ_SSL_CA: broker().tls!.ca }));
  });

  it('rejects a broker certificate from another CA with a clear error, at once', async (ctx) => {
    if (!broker().tls) ctx.skip();
    const err = await failure(connect({ config: config(tlsEnv({ RABBITMQ_SSL_CA: broker().tls!.otherCa, RABBITMQ_CONNECTION_ATTEMPTS: '5' })) }));
    expect(err.message).toMatch(/^TLS: the broker certificate at amqps:\/\/guest@[^:]+:\d+\/.* is not trusted \(\w+\): set RABBITMQ_SSL_CA to the CA file that signed it$/);
    expect(err.message).toContain(`@${broker().tls!.host}:`);
    expect(err.fatal).toBe(true);
  });

  it('a server name the certificate lacks: the error names RABBITMQ_SSL_SERVERNAME, the name that was checked', async (ctx) => {
    if (!broker().tls) ctx.skip();
    const err = await failure(connect({ config: config(tlsEnv({ RABBITMQ_SSL_CA: broker().tls!.ca, RABBITMQ_SSL_SERVERNAME: 'not-the-broker.example' })) }));
    expect(err.message).toBe('TLS: the broker certificate does not name "not-the-broker.example": connect by a name in the certificate or set RABBITMQ_SSL_SERVERNAME');
  });

  it('RABBITMQ_SSL_VERIFY=off connects, but never without a warning line', async (ctx) => {
    if (!broker().tls) ctx.skip();
    const sent = await runApp('hello', 'send', ['unverified'], { ...tlsEnv({ RABBITMQ_SSL_CA: broker().tls!.otherCa, RABBITMQ_SSL_VERIFY: 'off' }) });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toMatch(/^\[hello:send\] warning: RABBITMQ_SSL_VERIFY is off: the broker certificate is not checked/m);
  });

  it('says when plain AMQP meets a TLS port', async (ctx) => {
    if (!broker().tls) ctx.skip();
    const info = broker();
    const err = await failure(connect({ config: config({ RABBITMQ_URL: `amqp://guest:guest@${info.hostname}:${info.tls!.port}/`, RABBITMQ_CONNECT_TIMEOUT_MS: '3000' }) }));
    expect(err.message).toBe(`port ${info.tls!.port} at ${info.hostname} answers with TLS: connect with amqps:// (or RABBITMQ_SSL=on)`);
    expect(err.fatal).toBe(true);
  });

  it('mutual TLS: the broker requires a client certificate signed by its CA', async (ctx) => {
    const dedicated = await startDedicatedBroker({ failIfNoPeerCert: true });
    if (typeof dedicated === 'string') return ctx.skip(dedicated);
    try {
      const { tls } = dedicated.info;
      const url = `amqps://guest:guest@${tls!.host}:${tls!.port}/`;
      const base = { RABBITMQ_URL: url, RABBITMQ_SSL_CA: tls!.ca, RABBITMQ_CONNECTION_ATTEMPTS: '1' };
      await roundTrip({ ...base, RABBITMQ_SSL_CERT: tls!.clientCert, RABBITMQ_SSL_KEY: tls!.clientKey });
      const without = await failure(connect({ config: loadConfig(base) }));
      expect(without.message).toMatch(/requires a client certificate: set RABBITMQ_SSL_CERT and RABBITMQ_SSL_KEY|closed the connection during the handshake/);
      const untrusted = await failure(connect({ config: loadConfig({ ...base, RABBITMQ_SSL_CERT: tls!.otherClientCert, RABBITMQ_SSL_KEY: tls!.otherClientKey }) }));
      expect(untrusted.message).toMatch(/rejected the client certificate|closed the connection during the handshake/);
    } finally {
      await dedicated.stop();
    }
  });
});

describe('envFor', () => {
  it('builds a URL the config loader reads back', () => {
    expect(loadConfig(envFor('a/b')).vhost).toBe('a/b');
  });
});
