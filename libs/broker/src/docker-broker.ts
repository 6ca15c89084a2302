import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ENABLED_PLUGINS, rabbitmqConf } from './broker-config.js';
import { type CertFiles, generateCerts } from './certs.js';
import { freePort } from './ports.js';
import { type Endpoint, waitUntilReady } from './ready.js';

/** The image used when a Docker engine is available: the 4.x line the compose file runs. */
export const RABBITMQ_IMAGE = 'rabbitmq:4.3-management';

/** Where the config and certificates go in the container (the image reads conf.d after its 10-defaults.conf). */
export const CONTAINER_CONF = '/etc/rabbitmq/conf.d/90-tests.conf';
const CONTAINER_CERTS = '/etc/rabbitmq/certs';
const PORTS = { amqp: 5672, amqps: 5671, management: 15672, managementTls: 15671, stream: 5552, streamTls: 5551, prometheus: 15692 };

/**
 * Restarting the broker inside its container: the node stops cleanly (clients get 320
 * CONNECTION_FORCED), durable data stays, and the container keeps its published ports, which a
 * container restart would change (Docker picks new random host ports on every start).
 */
export const RESTART_IN_PLACE = [['rabbitmqctl', 'stop_app'], ['rabbitmqctl', 'start_app']];

/**
 * The config layer the harness gives the container, on top of the image's defaults. Stream clients
 * connect to the address the broker advertises: the Docker host and the host ports published for it.
 */
export function containerConf(options: { failIfNoPeerCert?: boolean; advertised?: { host: string; streamPort: number; streamTlsPort: number } } = {}): string {
  return rabbitmqConf({
    amqpPort: PORTS.amqp, amqpsPort: PORTS.amqps, managementPort: PORTS.management, managementTlsPort: PORTS.managementTls,
    streamPort: PORTS.stream, streamTlsPort: PORTS.streamTls, prometheusPort: PORTS.prometheus,
    advertised: options.advertised ?? { host: 'localhost', streamPort: PORTS.stream, streamTlsPort: PORTS.streamTls },
    certDir: CONTAINER_CERTS, loopbackOnly: false, failIfNoPeerCert: options.failIfNoPeerCert,
  });
}

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

/** The version of Docker Compose v2 (`docker compose`), or why there is none. */
export async function composeV2(): Promise<{ version: string } | { missing: string }> {
  try {
    const { stdout } = await promisify(execFile)('docker', ['compose', 'version', '--short'], { timeout: 10_000 });
    const version = stdout.trim().replace(/^v/, '');
    return Number(version.split('.')[0]) >= 2 ? { version } : { missing: `docker compose ${version} is older than v2` };
  } catch {
    return { missing: 'the Docker Compose v2 plugin ("docker compose") is not installed' };
  }
}

export interface DockerBroker {
  containerId: string;
  endpoint: Endpoint;
  ports: { amqp: number; amqps: number; management: number; managementTls: number; stream: number; streamTls: number; prometheus: number };
  certs: CertFiles;
  stop(): Promise<void>;
}

/**
 * Starts RabbitMQ 4.x in a container with the same config as a local node (TLS listener, management).
 * Host and ports are the ones Docker publishes (the engine may be on another machine); the server
 * certificate names that host.
 */
export async function startDockerBroker(
  certDir: string,
  options: { failIfNoPeerCert?: boolean; say?: (line: string) => void } = {},
): Promise<DockerBroker> {
  const { getContainerRuntimeClient, ImageName, Wait } = await import('testcontainers');
  const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
  const client = await getContainerRuntimeClient();
  const host = client.info.containerRuntime.host;
  const certs = generateCerts(certDir, [host]);
  // Fixed host ports for the stream listeners (the others are random): the broker must advertise them.
  const advertised = { host, streamPort: await freePort(), streamTlsPort: await freePort() };
  const image = ImageName.fromString(RABBITMQ_IMAGE);
  await pullWithProgress(() => client.image.exists(image), () => client.image.pull(image), options.say);
  const container = await new RabbitMQContainer(RABBITMQ_IMAGE)
    // The broker runs as its own user in the container: it must be able to read these.
    .withCopyContentToContainer([
      { content: containerConf({ ...options, advertised }), target: CONTAINER_CONF, mode: 0o644 },
      { content: ENABLED_PLUGINS, target: '/etc/rabbitmq/enabled_plugins', mode: 0o644 },
    ])
    .withCopyFilesToContainer([certs.ca, certs.serverCert, certs.serverKey].map((source) => ({
      source, target: `${CONTAINER_CERTS}/${source.replace(/.*[\\/]/, '')}`, mode: 0o644,
    })))
    // Not the module's log wait: the management API answering means the node has booted.
    .withWaitStrategy(Wait.forHttp('/api/overview', PORTS.management).withBasicCredentials('guest', 'guest').forStatusCode(200))
    .withExposedPorts({ container: PORTS.stream, host: advertised.streamPort }, { container: PORTS.streamTls, host: advertised.streamTlsPort }, PORTS.prometheus)
    .withStartupTimeout(120_000)
    .start();
  const ports = {
    amqp: container.getMappedPort(PORTS.amqp), amqps: container.getMappedPort(PORTS.amqps),
    management: container.getMappedPort(PORTS.management), managementTls: container.getMappedPort(PORTS.managementTls),
    stream: advertised.streamPort, streamTls: advertised.streamTlsPort, prometheus: container.getMappedPort(PORTS.prometheus),
  };
  const endpoint = { host, amqpPort: ports.amqp, managementUrl: `http://${urlHost(host)}:${ports.management}`, username: 'guest', password: 'guest' };
  await waitUntilReady(endpoint, { timeoutMs: 60_000 });
  return { containerId: container.getId(), endpoint, ports, certs, stop: async () => void (await container.stop()) };
}

/** A first pull of the image can take minutes: say so, and say every 15 s that it goes on. */
export async function pullWithProgress(exists: () => Promise<boolean>, pull: () => Promise<void>, say = (line: string) => console.log(line)): Promise<void> {
  if (await exists()) return;
  say(`[broker] pulling ${RABBITMQ_IMAGE} (first run only; this can take a few minutes)`);
  const started = Date.now();
  const ticker = setInterval(() => say(`[broker] still pulling ${RABBITMQ_IMAGE} (${Math.round((Date.now() - started) / 1000)} s)`), 15_000);
  try {
    await pull();
  } finally {
    clearInterval(ticker);
  }
  say(`[broker] pulled ${RABBITMQ_IMAGE} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Runs a command in the broker's container; its output, or an error with it. */
export async function execInContainer(containerId: string, command: string[]): Promise<string> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const { exitCode, output } = await client.container.exec(client.container.getById(containerId), command);
  if (exitCode !== 0) throw new Error(`${command.join(' ')} failed in the container (exit ${exitCode}): ${output.trim()}`);
  return output;
}

/** Restarts the broker in its container (data kept, same host ports) and waits for AMQP and management. */
export async function restartDockerBroker(containerId: string, endpoint: Endpoint): Promise<void> {
  for (const command of RESTART_IN_PLACE) await execInContainer(containerId, command);
  await waitUntilReady(endpoint, { timeoutMs: 60_000 });
}

/** A host for a URL: an IPv6 address goes in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
