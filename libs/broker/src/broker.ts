import { loadStreamConfig } from '@rabbit-tutorials/stream';
import { managementFromEnv } from '@rabbit-tutorials/management';
import { dockerAvailable, execInContainer, restartDockerBroker, startDockerBroker, urlHost } from './docker-broker.js';
import type { CertFiles } from './certs.js';
import type { Endpoint } from './ready.js';
import { destroyLocalBroker, hasLocalRabbitmq, launchLocalBroker, type LocalBrokerSpec, rabbitmqctl, restartLocalBroker } from './local-broker.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A broker the tests can use: plain data, so it can be handed from vitest's global setup to test files. */
export interface BrokerInfo {
  source: 'env' | 'docker' | 'local';
  description: string;
  hostname: string;
  port: number;
  /** An administrator (creates vhosts and users for tests). */
  username: string;
  password: string;
  /** The stream protocol's port (rabbitmq_stream). */
  streamPort: number;
  /** The broker is TLS-only (from the environment): client env carries these variables too. */
  tlsEnv?: Record<string, string>;
  managementUrl: string;
  /** A TLS listener, with the CA that signed its certificate. */
  tls?: {
    /** The name to connect to: one the server certificate names. */
    host: string;
    port: number;
    /** The management API over https, same certificate. */
    managementPort: number;
    streamPort: number;
    ca: string;
    clientCert: string;
    clientKey: string;
    otherCa: string;
    otherClientCert: string;
    otherClientKey: string;
  };
  /** How to restart it; absent when the harness did not start it. */
  restart?: { kind: 'local'; spec: LocalBrokerSpec } | { kind: 'docker'; containerId: string; endpoint: Endpoint };
}

export interface StartedBroker {
  info: BrokerInfo;
  stop(): Promise<void>;
}

const HOW_TO_GET_ONE = 'no RabbitMQ for the tests: set RABBITMQ_URL, start a Docker engine (colima, Rancher Desktop, ' +
  'a remote engine: set DOCKER_HOST to its socket), or install rabbitmq-server (apt-get install rabbitmq-server)';

/**
 * Finds a broker: RABBITMQ_URL / RABBITMQ_HOST... if set, else a Docker container, else a private
 * node of the local rabbitmq-server; else fails with one line saying how to get one. When Docker
 * answers but the container cannot start (offline, rate-limited pull), a local node is used instead.
 */
export async function resolveBroker(options: {
  failIfNoPeerCert?: boolean;
  preferLocal?: boolean;
  say?: (line: string) => void;
} = {}): Promise<StartedBroker> {
  const say = options.say ?? ((line: string) => console.log(line));
  if (!options.preferLocal && (process.env.RABBITMQ_URL || process.env.RABBITMQ_HOST)) {
    return { info: fromEnvironment(), stop: async () => undefined };
  }
  const local = hasLocalRabbitmq();
  if (!(options.preferLocal && local) && await dockerAvailable()) {
    try {
      return await startDocker(options, say);
    } catch (err) {
      if (!local) throw err;
      say(`[broker] Docker could not start RabbitMQ (${firstLine(err)}); using the local rabbitmq-server instead`);
    }
  }
  if (local) return startLocal(options);
  throw new Error(HOW_TO_GET_ONE);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 200);
}

function fromEnvironment(): BrokerInfo {
  const config = loadStreamConfig(process.env);
  const management = managementFromEnv(process.env);
  const tlsEnv = config.tls
    ? Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('RABBITMQ_SSL') && v) as [string, string][])
    : undefined;
  return {
    source: 'env',
    description: `the broker from the environment (${config.hostname}:${config.port})`,
    hostname: config.hostname, port: config.port, username: config.username, password: config.password, streamPort: config.streamPort,
    tlsEnv: tlsEnv && { ...tlsEnv, RABBITMQ_SSL: 'on' },
    managementUrl: management.url,
  };
}

async function startLocal(options: { failIfNoPeerCert?: boolean }): Promise<StartedBroker> {
  const spec = await launchLocalBroker(options);
  const { certs, ports } = spec;
  return {
    info: {
      source: 'local',
      description: `a private rabbitmq-server node ${spec.nodeName} (AMQP ${ports.amqp}, AMQPS ${ports.amqps}, management ${ports.management}, stream ${ports.stream})`,
      hostname: '127.0.0.1', port: ports.amqp, username: 'guest', password: 'guest', streamPort: ports.stream,
      managementUrl: `http://127.0.0.1:${ports.management}`,
      tls: tlsInfo('localhost', ports, certs),
      restart: { kind: 'local', spec },
    },
    stop: () => destroyLocalBroker(spec),
  };
}

async function startDocker(options: { failIfNoPeerCert?: boolean }, say: (line: string) => void): Promise<StartedBroker> {
  const certDir = mkdtempSync(join(tmpdir(), 'rabbit-tutorials-certs-'));
  let broker;
  try {
    broker = await startDockerBroker(certDir, { ...options, say });
  } catch (err) {
    rmSync(certDir, { recursive: true, force: true });
    throw err;
  }
  const { certs, endpoint, ports } = broker;
  return {
    info: {
      source: 'docker',
      description: `a Docker container (${urlHost(endpoint.host)}: AMQP ${ports.amqp}, AMQPS ${ports.amqps}, management ${ports.management}, stream ${ports.stream})`,
      hostname: endpoint.host, port: ports.amqp, username: 'guest', password: 'guest', streamPort: ports.stream,
      managementUrl: endpoint.managementUrl,
      tls: tlsInfo(endpoint.host, ports, certs),
      restart: { kind: 'docker', containerId: broker.containerId, endpoint },
    },
    stop: async () => {
      await broker.stop();
      rmSync(certDir, { recursive: true, force: true });
    },
  };
}

/** The TLS listeners of a broker the harness started, and the certificates made for it. */
function tlsInfo(host: string, ports: { amqps: number; managementTls: number; streamTls: number }, certs: CertFiles): BrokerInfo['tls'] {
  const { ca, clientCert, clientKey, otherCa, otherClientCert, otherClientKey } = certs;
  return { host, port: ports.amqps, managementPort: ports.managementTls, streamPort: ports.streamTls, ca, clientCert, clientKey, otherCa, otherClientCert, otherClientKey };
}

/** The AMQP URL of the broker for a vhost, as its administrator (or the given user). */
export function brokerUrl(info: BrokerInfo, vhost: string, user?: { username: string; password: string }): string {
  const cred = user ?? info;
  return `${info.tlsEnv ? 'amqps' : 'amqp'}://${encodeURIComponent(cred.username)}:${encodeURIComponent(cred.password)}` +
    `@${urlHost(info.hostname)}:${info.port}/${encodeURIComponent(vhost)}`;
}

/** Is a RabbitMQ version ("4.3.6") at least major.minor? */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [hasMajor = 0, hasMinor = 0] = version.split('.').map(Number);
  return hasMajor > major || (hasMajor === major && hasMinor >= minor);
}

/** Can rabbitmq-stream-js-client use a broker of this version? It speaks commands RabbitMQ added in 3.11. */
export function servesStreamClient(version: string): boolean {
  return versionAtLeast(version, 3, 11);
}

/** rabbitmqctl on a broker the harness started (a local node, or in its container). */
export async function brokerctl(info: BrokerInfo, args: string[]): Promise<string> {
  if (!info.restart) throw new Error(`cannot run rabbitmqctl on ${info.description}: the tests did not start it`);
  return info.restart.kind === 'local' ? rabbitmqctl(info.restart.spec, args) : execInContainer(info.restart.containerId, ['rabbitmqctl', ...args]);
}

/** Stops and starts the broker; durable queues and persistent messages survive. */
export async function restartBroker(info: BrokerInfo): Promise<void> {
  if (!info.restart) throw new Error(`cannot restart ${info.description}: the tests did not start it`);
  if (info.restart.kind === 'local') await restartLocalBroker(info.restart.spec);
  else await restartDockerBroker(info.restart.containerId, info.restart.endpoint);
}
