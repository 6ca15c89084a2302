// A RabbitMQ cluster of private local nodes: each a node as createLocalBroker() lays it out, formed by
// RabbitMQ's own peer discovery (classic_config) with an Erlang cookie
// made for it. For `npm run broker -- --nodes 3` and the cluster tests.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalBroker, destroyLocalBroker, type LocalBrokerSpec, rabbitmqctl, serverUser, startLocalBroker, stopLocalBroker } from './local-broker.js';
import { alive } from './process.js';

export interface LocalClusterSpec {
  nodes: LocalBrokerSpec[];
}

/** Lays out `size` nodes that will form one cluster (nothing started); preferred ports per node. */
export async function createLocalCluster(options: {
  size?: number;
  ports?: (node: number) => Partial<LocalBrokerSpec['ports']>;
  requiredPorts?: (node: number) => Partial<LocalBrokerSpec['ports']>;
} = {}): Promise<LocalClusterSpec> {
  const nodes: LocalBrokerSpec[] = [];
  try {
    for (let i = 0; i < (options.size ?? 3); i++) {
      nodes.push(await createLocalBroker({ ports: options.ports?.(i), requiredPorts: options.requiredPorts?.(i) }));
    }
  } catch (err) {
    await Promise.all(nodes.map(destroyLocalBroker));
    throw err;
  }
  // The nodes authenticate each other (and the CLI) by this cookie, not by the system node's.
  const cookie = randomBytes(32).toString('hex');
  // The first node (the seed) lists only itself, so it forms the cluster at once on every version (from
  // RabbitMQ 3.13 a new node whose list names others waits until one answers, up to 30 tries); the
  // others list every node and join the one already running.
  const discovery = (peers: LocalBrokerSpec[]) => [
    'cluster_formation.peer_discovery_backend = classic_config',
    ...peers.map((node, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${node.nodeName}`),
    // The recommended setting for three nodes or more: a node cut off from the majority pauses rather than
    // going on alone (its clients move to the majority).
    'cluster_partition_handling = pause_minority',
    '',
  ].join('\n');
  const user = serverUser();
  for (const [i, node] of nodes.entries()) {
    const file = join(node.dir, 'conf.d', '50-cluster.conf');
    writeFileSync(file, discovery(i === 0 ? [node] : nodes), { mode: 0o600 });
    // RabbitMQ 4: a consumer's messages come back 5 s after its node went away, not 60 s (the reasons are in
    // infra/rabbitmq/cluster.conf). In advanced.config, which a 3.x node, lacking the setting, reads all the same.
    const advanced = join(node.dir, 'advanced.config');
    writeFileSync(advanced, '[{rabbit, [{consumer_disconnected_timeout, 5000}]}].\n', { mode: 0o600 });
    if (user) execFileSync('chown', [`${user}:${user}`, file, advanced]);
    node.env.RABBITMQ_ERLANG_COOKIE = cookie;
    writeFileSync(join(node.dir, 'cookie'), cookie, { mode: 0o600 }); // for rabbitmqctl by hand
  }
  return { nodes };
}

/**
 * Starts the nodes: the first alone, then the others, which find it and join (started all at once,
 * two nodes could each form a cluster of their own). Resolves when every node runs in one cluster.
 */
export async function startLocalCluster(cluster: LocalClusterSpec): Promise<void> {
  const [first, ...others] = cluster.nodes;
  await startLocalBroker(first!);
  await Promise.all(others.map((node) => startLocalBroker(node)));
  await waitForMembers(cluster, cluster.nodes.length);
}

/** createLocalCluster, then startLocalCluster; nodes that do not come up are removed again. */
export async function launchLocalCluster(options: Parameters<typeof createLocalCluster>[0] = {}): Promise<LocalClusterSpec> {
  const cluster = await createLocalCluster(options);
  try {
    await startLocalCluster(cluster);
  } catch (err) {
    await destroyLocalCluster(cluster);
    throw err;
  }
  return cluster;
}

/** Stops every node and removes their data. */
export async function destroyLocalCluster(cluster: LocalClusterSpec): Promise<void> {
  for (const node of cluster.nodes) if (pidOf(node)) thawNode(node); // a frozen node cannot stop
  await Promise.all(cluster.nodes.map(destroyLocalBroker));
}

/** The running members as one node sees them (`rabbitmqctl cluster_status`). */
export async function runningMembers(cluster: LocalClusterSpec, via?: LocalBrokerSpec): Promise<string[]> {
  const node = via ?? cluster.nodes.find((n) => pidOf(n))!;
  // The CLI may print a warning first (the cookie variable is deprecated): the JSON is the last line.
  const out = (await rabbitmqctl(node, ['cluster_status', '--formatter', 'json'])).trim().split('\n').at(-1)!;
  const status = JSON.parse(out) as { running_nodes: string[] };
  return status.running_nodes;
}

/** Waits until `count` nodes run in the cluster (after a start or a restart). */
export async function waitForMembers(cluster: LocalClusterSpec, count: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = await runningMembers(cluster).catch(() => []);
    if (running.length === count) return;
    if (Date.now() > deadline) throw new Error(`the cluster has ${running.length} running node(s), not ${count}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The node's Erlang VM pid, while it runs. */
export function pidOf(node: LocalBrokerSpec): number | undefined {
  const file = node.env.RABBITMQ_PID_FILE!;
  const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/** kill -9: the node dies at once, as in a power cut; its data stays, for a later startLocalBroker(). */
export async function killNode(node: LocalBrokerSpec): Promise<void> {
  const pid = pidOf(node);
  if (!pid) throw new Error(`${node.nodeName} is not running`);
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** SIGSTOP: the node hangs, its sockets open and silent (a hung VM, a stalled disk). */
export function freezeNode(node: LocalBrokerSpec): void {
  process.kill(pidOf(node)!, 'SIGSTOP');
}

export function thawNode(node: LocalBrokerSpec): void {
  process.kill(pidOf(node)!, 'SIGCONT');
}

/** Restarts one node cleanly (a rolling restart's step) and waits until it is back in the cluster. */
export async function restartNode(cluster: LocalClusterSpec, node: LocalBrokerSpec): Promise<void> {
  await stopLocalBroker(node);
  await startLocalBroker(node);
  await waitForMembers(cluster, cluster.nodes.length);
}
