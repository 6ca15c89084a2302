// The private node (npm run broker, the tests' broker) listens on loopback only: AMQP, AMQPS,
// management and Erlang distribution.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBroker, destroyLocalBroker, hasLocalRabbitmq, type LocalBrokerSpec, startLocalBroker } from '../src/local-broker.js';

/** The local addresses listening on a TCP port, from /proc/net/tcp and tcp6 (Linux). */
function listeners(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].filter(existsSync).flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A') // 0A: LISTEN
    .map((f) => {
      const addr = f[1]!.split(':')[0]!;
      if (addr.length === 8) return addr.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.');
      return /^0+$/.test(addr) ? '::' : addr === '00000000000000000000000001000000' ? '::1' : addr;
    }));
}

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

  it('a port that must be used and is taken is an error, not a surprise port', async () => {
    await expect(createLocalBroker({ requiredPorts: { amqp: spec.ports.amqp } })).rejects.toThrow(`port ${spec.ports.amqp} (amqp) is in use`);
  });
});
