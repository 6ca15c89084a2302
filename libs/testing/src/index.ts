import { connect, loadConfig } from '@rabbit-tutorials/connection';
import { Management } from '@rabbit-tutorials/management';
import type { ChannelModel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, inject } from 'vitest';
import { type BrokerInfo, brokerUrl, brokerctl, resolveBroker, restartBroker, servesStreamClient, type StartedBroker, versionAtLeast } from '@rabbit-tutorials/broker';

export { AppProcess, ROOT, runApp, startApp, track } from './apps.js';
export type { BrokerInfo } from '@rabbit-tutorials/broker';

declare module 'vitest' {
  /** What global-setup gives every test file. */
  export interface ProvidedContext {
    broker: BrokerInfo;
  }
}

/** The broker of this test run (see global-setup). */
export function broker(): BrokerInfo {
  return inject('broker');
}

export function management(): Management {
  const info = broker();
  return new Management({ url: info.managementUrl, username: info.username, password: info.password });
}

/** Why a broker restart is impossible here (a broker from the environment), or undefined if it is possible. */
export function cannotRestart(): string | undefined {
  return broker().restart ? undefined : 'the broker comes from RABBITMQ_URL: the tests cannot restart it';
}

/**
 * A second broker of the same kind as the run's (local node or container), for tests that need other
 * broker settings, e.g. mutual TLS required. Undefined with the reason when the run's broker came from
 * the environment.
 */
export async function startDedicatedBroker(options: { failIfNoPeerCert?: boolean }): Promise<StartedBroker | string> {
  const kind = broker().restart?.kind;
  if (!kind) return 'the broker comes from RABBITMQ_URL: the tests do not start brokers';
  return resolveBroker({ ...options, preferLocal: kind === 'local' });
}

/** The run's broker's RabbitMQ version, e.g. "4.3.6". */
export async function brokerVersion(): Promise<string> {
  return (await management().overview()).rabbitmq_version;
}

/** Is the run's broker RabbitMQ major.minor or later? */
export async function brokerAtLeast(major: number, minor: number): Promise<boolean> {
  return versionAtLeast(await brokerVersion(), major, minor);
}

/** Why rabbitmq-stream-js-client cannot be used on the run's broker (it needs RabbitMQ 3.11), or undefined. */
export async function noStreamClient(): Promise<string | undefined> {
  const version = await brokerVersion();
  return !servesStreamClient(version)
    ? `RabbitMQ ${version} is older than 3.11, which rabbitmq-stream-js-client needs (Debian 12 ships 3.10; the Docker broker is 4.x)` : undefined;
}

/** rabbitmqctl on the run's broker (when the harness started it: see cannotRestart()). */
export function rabbitmqctl(...args: string[]): Promise<string> {
  return brokerctl(broker(), args);
}

export function restart(): Promise<void> {
  return restartBroker(broker());
}

/** The environment a program needs to use `vhost` on the test broker as the admin user. */
export function envFor(vhost: string, user?: { username: string; password: string }): Record<string, string> {
  const info = broker();
  return {
    RABBITMQ_URL: brokerUrl(info, vhost, user),
    RABBITMQ_STREAM_PORT: String(info.streamPort),
    RABBITMQ_CONNECTION_ATTEMPTS: '3',
    RABBITMQ_RETRY_DELAY_MS: '200',
    ...info.tlsEnv,
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface TestVhost {
  /** Its name, unique to this test. */
  readonly name: string;
  /** Environment for programs under test (RABBITMQ_URL on this vhost). */
  readonly env: Record<string, string>;
  /** A connection from the test itself, closed after the test. */
  connect(): Promise<ChannelModel>;
}

/**
 * Gives every test of the file a fresh vhost (created before, deleted after), so programs can use the
 * tutorials' fixed queue and exchange names without meeting other tests' data.
 */
export function useVhost(): TestVhost {
  let name = '';
  const connections: ChannelModel[] = [];
  beforeEach(async (ctx) => {
    name = uniqueName(`test-${ctx.task.file.name.replace(/.*\//, '').replace(/\.test\.ts$/, '')}`);
    const api = management();
    await api.createVhost(name);
    await api.setPermissions(name, broker().username);
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close().catch(() => undefined)));
    await management().deleteVhost(name);
  });
  return {
    get name() {
      return name;
    },
    get env() {
      return envFor(name);
    },
    async connect() {
      const connection = await connect({ config: loadConfig(envFor(name)), name: 'test' });
      connections.push(connection);
      return connection;
    },
  };
}
export { eventually, publishConfirmed, queueDepth } from './amqp.js';
export { NO_PIKA, pikaPython, startPika } from './pika.js';
export { clusterManagement, cluster, noCluster, type ClusterVhost, useClusterVhost } from './cluster.js';
// What the cluster tests do to nodes (libs/broker), for the apps' tests that import only this package.
export { awaitOnlineMembers, freezeNode, killNode, restartNode, servesStreamClient, startNode, thawNode, urlHost, versionAtLeast, waitForMembers } from '@rabbit-tutorials/broker';
export { composeV2, destroyLocalBroker, dockerAvailable, freePort, hasLocalRabbitmq, launchLocalBroker, listeners, startLikeImage } from '@rabbit-tutorials/broker';
