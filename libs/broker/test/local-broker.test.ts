// The private node (npm run broker, the tests' broker) listens on loopback only: AMQP, AMQPS,
// management, Prometheus metrics, streams and Erlang distribution.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect, loadConfig } from '@rabbit-tutorials/connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/listeners.js';
import { createLocalBroker, destroyLocalBroker, hasLocalRabbitmq, type LocalBrokerSpec, startLocalBroker } from '../src/local-broker.js';

const skip = !hasLocalRabbitmq() ? 'rabbitmq-server is not installed' : !existsSync('/proc/net/tcp') ? 'no /proc/net/tcp (not Linux)' : '';
describe.skipIf(Boolean(skip))(`a private node${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let spec: LocalBrokerSpec;
  beforeAll(async () => {
    spec = await createLocalBroker();
    await startLocalBroker(spec);
  }, 120_000);
  afterAll(() => spec && destroyLocalBroker(spec));

  it('listens on 127.0.0.1 only, Erlang distribution included', () => {
    for (const [name, port] of Object.entries(spec.ports)) expect(listeners(port), `${name} port ${port}`).toEqual(['127.0.0.1']);
  });

  it('serves the broker\'s metrics for Prometheus (rabbitmq_prometheus), on its own port', async () => {
    const text = await (await fetch(`http://127.0.0.1:${spec.ports.prometheus}/metrics`)).text();
    expect(text).toMatch(/^rabbitmq_identity_info\{.*rabbitmq_node="rabbit-tutorials-/m);
    expect(text).toMatch(/^rabbitmq_connections /m);
  });

  it('keeps its data from other local users: every directory it makes is 0700, a message body is nobody else\'s to find', async () => {
    const connection = await connect({ config: loadConfig({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${spec.ports.amqp}/` }) });
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('private', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    channel.sendToQueue('private', Buffer.from('SECRET-0700-check'), { persistent: true });
    await channel.waitForConfirms();
    await connection.close();
    for (const d of [spec.dir, join(spec.dir, 'certs'), join(spec.dir, 'mnesia'), join(spec.dir, 'log'), join(spec.dir, 'conf.d')]) {
      expect((statSync(d).mode & 0o777).toString(8), d).toBe('700');
    }
    expect(readdirSync(spec.dir).length).toBeGreaterThan(3);
    if (process.getuid?.() === 0) {
      // As another local user would try it (the quorum queue's WAL holds the body; certs/ holds keys).
      const found = execFileSync('su', ['nobody', '-s', '/bin/sh', '-c', `grep -rl SECRET-0700-check ${spec.dir} 2>&1; cat ${spec.certs.clientKey} 2>&1; true`]).toString();
      expect(found).not.toMatch(/PRIVATE KEY|wal|segment/);
      expect(found).toMatch(/Permission denied/);
    }
  });

  it('a port that must be used and is taken is an error, not a surprise port', async () => {
    await expect(createLocalBroker({ requiredPorts: { amqp: spec.ports.amqp } })).rejects.toThrow(`port ${spec.ports.amqp} (amqp) is in use`);
  });
});
