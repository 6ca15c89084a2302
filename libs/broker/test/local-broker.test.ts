// The private node (npm run broker, the tests' broker) listens on loopback only: AMQP, AMQPS,
// management, Prometheus metrics, streams and Erlang distribution.
import { existsSync } from 'node:fs';
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

  it('a port that must be used and is taken is an error, not a surprise port', async () => {
    await expect(createLocalBroker({ requiredPorts: { amqp: spec.ports.amqp } })).rejects.toThrow(`port ${spec.ports.amqp} (amqp) is in use`);
  });
});
