import { createConnection } from 'node:net';
import { connect } from 'rabbitmq-stream-js-client';
import { describe, expect, it } from 'vitest';
import { describeError, loadConfig } from '@rabbit-tutorials/connection';
import { describeStreamError, loadStreamConfig, streamParams, tryEachAddress, waitForLeader } from '../src/index.js';
import { broker, noStreamClient, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('loadStreamConfig', () => {
  it('takes one stream port for every node, or one each; one address (a balancer) with several ports: that host at each', () => {
    const c = loadStreamConfig({ RABBITMQ_URL: 'amqp://u:p@h1:5672/v,amqp://u:p@h2:5673/v,amqp://u:p@[::1]/v', RABBITMQ_STREAM_PORT: '5552,5553,5554' });
    expect(c).toMatchObject({ hostname: 'h1', port: 5672, streamPort: 5552, username: 'u', vhost: 'v' });
    expect(c.streamAddresses).toEqual([
      { hostname: 'h1', port: 5672, streamPort: 5552 }, { hostname: 'h2', port: 5673, streamPort: 5553 }, { hostname: '::1', port: 5672, streamPort: 5554 },
    ]);
    expect(loadStreamConfig({ RABBITMQ_HOST: 'a,b', RABBITMQ_STREAM_PORT: '6000' }).streamAddresses.map((a) => a.streamPort)).toEqual([6000, 6000]);
    expect(loadStreamConfig({}).streamAddresses).toEqual([{ hostname: 'localhost', port: 5672, streamPort: 5552 }]);
    expect(loadStreamConfig({ RABBITMQ_SSL: 'on' }).streamPort).toBe(5551);
    const balanced = loadStreamConfig({ RABBITMQ_URL: 'amqp://lb:5680', RABBITMQ_STREAM_PORT: '5552,5553,5554' });
    expect(balanced.streamAddresses).toEqual([5552, 5553, 5554].map((streamPort) => ({ hostname: 'lb', port: 5680, streamPort })));
    expect(streamParams(balanced, 'name')).toMatchObject({ hostname: 'lb', port: 5552, username: 'guest', vhost: '/', connectionName: 'name' });
  });

  it.each([
    [{ RABBITMQ_HOST: 'a,b', RABBITMQ_STREAM_PORT: '1,2,3' }, 'RABBITMQ_STREAM_PORT lists 3 ports for 2 broker addresses: give one port, or one per address'],
    [{ RABBITMQ_HOST: 'a,b', RABBITMQ_STREAM_PORT: '1,x' }, 'RABBITMQ_STREAM_PORT must be a whole number from 1 to 65535 (got "x")'],
    [{ RABBITMQ_STREAM_PORT: '0' }, 'RABBITMQ_STREAM_PORT must be a whole number from 1 to 65535 (got "0")'],
  ])('refuses a bad RABBITMQ_STREAM_PORT %j', (env, message) => {
    expect(() => loadStreamConfig(env)).toThrow(message);
  });
});

describe('the stream client\'s failures as one line', () => {
  it('a response code, bare or in the client\'s message, through describeError too (main() prints that)', () => {
    const config = loadStreamConfig({ RABBITMQ_URL: 'amqp://app@h/v' });
    expect(describeStreamError(17, config)).toBe('the stream exists with other arguments than this program declares: declare it with the same ' +
      'arguments, or delete it if its messages can go (stream protocol 17: precondition failed)');
    expect(describeError(new Error('Unable Authenticate -> 8'), config)).toBe('access refused: user "app" could not log in to h:5552: ' +
      'wrong user name or password (stream protocol 8: authentication failure)');
    expect(describeError(new Error('Declare Publisher command returned error with code 2'), config)).toMatch(/^the stream does not exist in virtual host "v"/);
    expect(describeStreamError(new Error('something else'), config)).toBeUndefined();
  });

  it('a host a node advertises for streams that does not resolve here: one line that says whose name it is', async () => {
    // The error Node gives for a name that resolves nowhere, as a stream client meets it on its way to a node.
    const err = await new Promise<Error>((resolve) => createConnection({ host: 'rabbitmq-2.invalid', port: 5552 }).on('error', resolve));
    expect(describeError(err, loadConfig({ RABBITMQ_URL: 'amqp://localhost:5672' }))).toBe('host "rabbitmq-2.invalid" not found: a RabbitMQ node advertises it ' +
      'for streams (stream.advertised_host) and this machine cannot resolve it; from outside compose, run the stream programs in compose or set advertised_host (docs/cluster.md)');
    // A configured host that does not resolve is the configuration's.
    expect(describeError(err, loadConfig({ RABBITMQ_HOST: 'rabbitmq-2.invalid' }))).toMatch(/^cannot reach the broker at amqp:\/\/guest@rabbitmq-2\.invalid:5672\/%2F: host rabbitmq-2\.invalid not found/);
  });

  it('tryEachAddress: a closed stream port, then the broker\'s: connects to the second; with none, names each it tried', async (ctx) => {
    const why = await noStreamClient();
    if (why) return ctx.skip(why);
    const { streamPort } = broker();
    const config = loadStreamConfig({ ...vhost.env, RABBITMQ_STREAM_PORT: `1,${streamPort}` });
    const tried: number[] = [];
    const client = await tryEachAddress(config, (node) => (tried.push(node.streamPort), connect(streamParams(node, 'stream-test'))));
    expect(tried).toEqual([1, streamPort]);
    await client.close();
    const err = await tryEachAddress(loadStreamConfig({ ...vhost.env, RABBITMQ_STREAM_PORT: '1,2' }), (node) => connect(streamParams(node))).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^cannot reach the stream port 2 of \S+: connection refused .* \(tried \S+:1, \S+:2\)$/);
  });
});

describe('waitForLeader', () => {
  it('returns once a node leads each stream; a stream no node leads (here: none of that name) fails after the timeout, in one line', async (ctx) => {
    const why = await noStreamClient();
    if (why) return ctx.skip(why);
    const client = await connect(streamParams(loadStreamConfig({ ...vhost.env, RABBITMQ_STREAM_PORT: String(broker().streamPort) }), 'stream-test'));
    try {
      await client.createStream({ stream: 'led', arguments: {} });
      await waitForLeader(client, ['led']);
      const started = Date.now();
      await expect(waitForLeader(client, ['led', 'nowhere'], 1000)).rejects.toThrow(/^no node leads the stream nowhere after 1 s: see the nodes' logs$/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    } finally {
      await client.close();
    }
  });
});
