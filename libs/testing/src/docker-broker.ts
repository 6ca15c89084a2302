import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENABLED_PLUGINS, rabbitmqConf } from './broker-config.js';
import type { CertFiles } from './certs.js';
import { freePort } from './local-broker.js';

/** The image used when a Docker engine is available: the 4.x line the compose file runs. */
export const RABBITMQ_IMAGE = 'rabbitmq:4.1-management';

/** Is a Docker engine reachable? (A docker client alone is not enough.) Bounded, never throws. */
export async function dockerAvailable(timeoutMs = 10_000): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const probe = getContainerRuntimeClient().then(() => true, () => false);
    const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
    return await Promise.race([probe, timeout]);
  } catch {
    return false;
  }
}

export interface DockerBroker {
  containerId: string;
  ports: { amqp: number; amqps: number; management: number };
  stop(): Promise<void>;
}

/**
 * Starts RabbitMQ 4.x in a container with the same config as a local node (TLS listener, management).
 * Host ports are fixed at start so a container restart keeps them (testcontainers would remap them).
 */
export async function startDockerBroker(certs: CertFiles, options: { failIfNoPeerCert?: boolean } = {}): Promise<DockerBroker> {
  const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
  const ports = { amqp: await freePort(), amqps: await freePort(), management: await freePort() };
  const conf = join(certs.dir, '90-tests.conf');
  writeFileSync(conf, rabbitmqConf({
    amqpPort: 5672, amqpsPort: 5671, managementPort: 15672, certDir: '/etc/rabbitmq/certs',
    loopbackOnly: false, failIfNoPeerCert: options.failIfNoPeerCert,
  }));
  // The broker in the container runs as its own user: the copied files must be readable by it.
  for (const file of readdirSync(certs.dir)) chmodSync(join(certs.dir, file), 0o644);
  const container = await new RabbitMQContainer(RABBITMQ_IMAGE)
    .withExposedPorts(
      { container: 5672, host: ports.amqp },
      { container: 5671, host: ports.amqps },
      { container: 15672, host: ports.management },
    )
    .withCopyFilesToContainer([
      { source: conf, target: '/etc/rabbitmq/conf.d/90-tests.conf' },
      ...['ca.pem', 'server.pem', 'server.key'].map((f) => ({ source: join(certs.dir, f), target: `/etc/rabbitmq/certs/${f}` })),
    ])
    .withCopyContentToContainer([{ content: ENABLED_PLUGINS, target: '/etc/rabbitmq/enabled_plugins' }])
    .withStartupTimeout(120_000)
    .start();
  return { containerId: container.getId(), ports, stop: async () => void (await container.stop()) };
}

/** Restarts the container (data kept, same host ports) and waits for AMQP again. */
export async function restartDockerBroker(containerId: string): Promise<void> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const container = client.container.getById(containerId);
  await client.container.restart(container);
}
