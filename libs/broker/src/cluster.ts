// A three-node cluster for the tests and the bench, found the way resolveBroker() finds a broker: with a
// Docker engine, three containers of the image on one network; else private local rabbitmq-server nodes.
// Either way the nodes are plain data (for vitest's provide()) and the same operations reach them: kill,
// freeze, thaw, start, restart.
import { randomBytes } from 'node:crypto';
import { Management } from '@rabbit-tutorials/management';
import { dockerAvailable, RABBITMQ_IMAGE, pullWithProgress, urlHost } from './docker-broker.js';
import { ENABLED_PLUGINS } from './broker-config.js';
import { freePort } from './ports.js';
import { hasLocalRabbitmq, type LocalBrokerSpec, rabbitmqctl, startLocalBroker } from './local-broker.js';
import { destroyLocalCluster, freezeNode as freezeLocal, killNode as killLocal, launchLocalCluster, pidOf, restartNode as restartLocal,
  thawNode as thawLocal } from './local-cluster.js';
import { waitUntilReady } from './ready.js';

export interface ClusterNode {
  /** RabbitMQ's name for it (rabbit@host). */
  nodeName: string;
  /** Where clients reach it: 127.0.0.1, or the Docker host. */
  host: string;
  ports: { amqp: number; management: number; stream: number };
  local?: LocalBrokerSpec;
  containerId?: string;
}

export interface ClusterInfo {
  source: 'local' | 'docker';
  description: string;
  nodes: ClusterNode[];
}

/** A cluster of `size` nodes: containers when Docker answers (unless preferLocal), else local nodes. */
export async function resolveCluster(options: { size?: number; preferLocal?: boolean; say?: (line: string) => void } = {}):
  Promise<{ info: ClusterInfo; stop: () => Promise<void> }> {
  const size = options.size ?? 3;
  const local = hasLocalRabbitmq();
  if (!(options.preferLocal && local) && await dockerAvailable()) return startDockerCluster(size, options.say);
  if (!local) throw new Error('no RabbitMQ cluster for the tests: start a Docker engine, or install rabbitmq-server (apt-get install rabbitmq-server)');
  const cluster = await launchLocalCluster({ size });
  return {
    info: {
      source: 'local',
      description: `${size} local nodes: ${cluster.nodes.map((n) => `${n.nodeName} (AMQP ${n.ports.amqp})`).join(', ')}`,
      nodes: cluster.nodes.map((spec) => ({ nodeName: spec.nodeName, host: '127.0.0.1', ports: spec.ports, local: spec })),
    },
    stop: () => destroyLocalCluster(cluster),
  };
}

/** The nodes' AMQP addresses as one RABBITMQ_URL (comma-separated), for a vhost, in the order given (a local node: 127.0.0.1). */
export function nodesUrl(nodes: { host?: string; ports: { amqp: number } }[], vhost = '/', user = { username: 'guest', password: 'guest' }): string {
  const cred = `${encodeURIComponent(user.username)}:${encodeURIComponent(user.password)}`;
  return nodes.map((n) => `amqp://${cred}@${urlHost(n.host ?? '127.0.0.1')}:${n.ports.amqp}/${vhost === '/' ? '' : encodeURIComponent(vhost)}`).join(',');
}

/** The management API of a node, as the guest administrator. */
export function managementOf(node: ClusterNode) {
  return { url: `http://${urlHost(node.host)}:${node.ports.management}`, username: 'guest', password: 'guest' };
}

async function container(node: ClusterNode) {
  const { getContainerRuntimeClient } = await import('testcontainers');
  return (await getContainerRuntimeClient()).container.getById(node.containerId!);
}

/** Is the node's VM running and not frozen? */
export async function nodeRunning(node: ClusterNode): Promise<boolean> {
  if (node.local) return pidOf(node.local) !== undefined;
  const { State } = await (await container(node)).inspect();
  return State.Running && !State.Paused;
}

/** kill -9: gone at once, as in a power cut; its data stays for startNode(). */
export async function killNode(node: ClusterNode): Promise<void> {
  if (node.local) return killLocal(node.local);
  await (await container(node)).kill({ signal: 'SIGKILL' });
}

/** SIGSTOP (a container: the cgroup freezer): the node hangs with its sockets open. */
export async function freezeNode(node: ClusterNode): Promise<void> {
  if (node.local) return freezeLocal(node.local);
  await (await container(node)).pause();
}

/** Resumes a frozen node; a node not running is left as it is. */
export async function thawNode(node: ClusterNode): Promise<void> {
  if (node.local) return void (pidOf(node.local) && thawLocal(node.local));
  const c = await container(node);
  if ((await c.inspect()).State.Paused) await c.unpause();
}

/** Starts a killed node again, on the same ports, and waits until it answers. */
export async function startNode(node: ClusterNode): Promise<void> {
  if (node.local) return startLocalBroker(node.local);
  await (await container(node)).start();
  await waitUntilReady({ host: node.host, amqpPort: node.ports.amqp, ...managementOf(node), managementUrl: managementOf(node).url }, { timeoutMs: 120_000 });
}

/**
 * A rolling restart's step: a clean stop and start of one node, back in the cluster, its AMQP port
 * answering and its quorum queues' and streams' members online (awaitOnlineMembers).
 */
export async function restartNode(cluster: ClusterInfo, node: ClusterNode): Promise<void> {
  if (node.local) await restartLocal({ nodes: cluster.nodes.map((n) => n.local!) }, node.local);
  else {
    await (await container(node)).restart({ t: 60 });
    await waitUntilReady({ host: node.host, amqpPort: node.ports.amqp, ...managementOf(node), managementUrl: managementOf(node).url }, { timeoutMs: 120_000 });
    await waitForMembers(cluster, cluster.nodes.length);
  }
  const why = await awaitOnlineMembers(node);
  if (why) process.stderr.write(`[cluster] ${why}\n`);
}

/**
 * Waits until every quorum queue and stream with a member on `node` has more than a quorum of members
 * online: with three, all three (RabbitMQ's own check before stopping a node). A node listed as running
 * may not have its members back yet; a fault then would leave a queue without a quorum for a while.
 * Undefined once they are; else why not, in one line: the check itself can fail (4.3.6 crashes on a
 * stream whose member process is not running) or wait on a queue that will not be whole again.
 */
export async function awaitOnlineMembers(node: ClusterNode, timeoutSeconds = 30): Promise<string | undefined> {
  const output = await runOn(node, 'rabbitmq-upgrade', ['await_online_quorum_plus_one', '-t', String(timeoutSeconds)]);
  return output === undefined ? undefined
    : `rabbitmq-upgrade await_online_quorum_plus_one on ${node.nodeName} failed, going on: ${output.trim().split('\n').slice(-2).join(' ').slice(0, 300)}`;
}

/**
 * Starts the stream coordinator (a Ra cluster of its own, which the first stream declared starts) and has
 * each node write its member's registration to disk. On RabbitMQ 4.3.6 a node killed within seconds of
 * that start came back without its member (Ra: name_not_registered), and a stream declared through that
 * node never got a leader.
 */
export async function startStreamCoordinator(cluster: ClusterInfo, timeoutMs = 60_000): Promise<void> {
  const api = new Management(managementOf(cluster.nodes[0]!));
  const path = `/queues/%2F/${encodeURIComponent(`cluster-setup-${randomBytes(4).toString('hex')}`)}`;
  await api.request('PUT', path, { durable: true, arguments: { 'x-queue-type': 'stream' } });
  await api.request('DELETE', path);
  // Its member runs on the node, and the node's dets tables (Ra's names among them) are synced to disk.
  const check = 'true = is_pid(erlang:whereis(rabbit_stream_coordinator)), [dets:sync(T) || T <- dets:all()], ok.';
  const deadline = Date.now() + timeoutMs;
  for (const node of cluster.nodes) {
    for (;;) {
      const failed = await runOn(node, 'rabbitmqctl', ['eval', check]);
      if (failed === undefined) break;
      if (Date.now() > deadline) throw new Error(`the stream coordinator did not start on ${node.nodeName}: ${failed.slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Runs a CLI tool of RabbitMQ's against the node (in its container with Docker): undefined if it succeeded, else its output. */
async function runOn(node: ClusterNode, tool: 'rabbitmqctl' | 'rabbitmq-upgrade', args: string[]): Promise<string | undefined> {
  if (node.local) return rabbitmqctl(node.local, args, tool).then(() => undefined, (err: Error) => err.message);
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const { exitCode, output } = await client.container.exec(client.container.getById(node.containerId!), [tool, ...args]);
  return exitCode === 0 ? undefined : output;
}

/** Waits until `count` nodes run in the cluster, as the management API of a running node reports it. */
export async function waitForMembers(cluster: ClusterInfo, count: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let running = 0;
    for (const node of cluster.nodes) {
      if (!(await nodeRunning(node))) continue;
      const { url, username, password } = managementOf(node);
      const nodes = await fetch(`${url}/api/nodes`, { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }, signal: AbortSignal.timeout(5000) })
        .then((r) => (r.ok ? r.json() as Promise<{ running: boolean }[]> : []), () => []);
      running = nodes.filter((n) => n.running).length;
      break;
    }
    if (running === count) return;
    if (Date.now() > deadline) throw new Error(`the cluster has ${running} running node(s), not ${count}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Three containers of the image on a network of their own, named node-1... (rabbit@node-1...), formed by
 * classic_config with a cookie made for them. Host ports are chosen here, not by Docker, so a node
 * killed and started again keeps them; each node advertises its own stream port on the Docker host.
 */
async function startDockerCluster(size: number, say?: (line: string) => void): Promise<{ info: ClusterInfo; stop: () => Promise<void> }> {
  const { GenericContainer, getContainerRuntimeClient, ImageName, Network, Wait } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const host = client.info.containerRuntime.host;
  const image = ImageName.fromString(RABBITMQ_IMAGE);
  await pullWithProgress(() => client.image.exists(image), () => client.image.pull(image), say);
  const network = await new Network().start();
  const cookie = randomBytes(32).toString('hex');
  const names = Array.from({ length: size }, (_, i) => `node-${i + 1}`);
  const nodes: ClusterNode[] = [];
  for (const name of names) {
    nodes.push({ nodeName: `rabbit@${name}`, host, ports: { amqp: await freePort(), management: await freePort(), stream: await freePort() } });
  }
  const started: { stop: () => Promise<unknown> }[] = [];
  const start = async (i: number) => {
    const node = nodes[i]!;
    const conf = [
      'cluster_formation.peer_discovery_backend = classic_config',
      ...names.map((n, k) => `cluster_formation.classic_config.nodes.${k + 1} = rabbit@${n}`),
      'cluster_partition_handling = pause_minority',
      `stream.advertised_host = ${host}`,
      `stream.advertised_port = ${node.ports.stream}`,
      'disk_free_limit.absolute = 50MB',
      '',
    ].join('\n');
    const c = await new GenericContainer(RABBITMQ_IMAGE)
      .withNetwork(network).withNetworkAliases(names[i]!).withHostname(names[i]!)
      // The image reads the cookie from this file only (as in infra/docker-compose.cluster.yml).
      .withEntrypoint(['sh', '-c', 'umask 077 && printf "%s" "$ERLANG_COOKIE" > /var/lib/rabbitmq/.erlang.cookie && exec docker-entrypoint.sh rabbitmq-server'])
      .withEnvironment({ ERLANG_COOKIE: cookie })
      .withCopyContentToContainer([
        { content: conf, target: '/etc/rabbitmq/conf.d/90-cluster.conf', mode: 0o644 },
        { content: ENABLED_PLUGINS, target: '/etc/rabbitmq/enabled_plugins', mode: 0o644 },
      ])
      .withExposedPorts({ container: 5672, host: node.ports.amqp }, { container: 15672, host: node.ports.management }, { container: 5552, host: node.ports.stream })
      .withWaitStrategy(Wait.forHttp('/api/overview', 15672).withBasicCredentials('guest', 'guest').forStatusCode(200))
      .withStartupTimeout(120_000)
      .start();
    started.push(c);
    node.containerId = c.getId();
  };
  const stop = async () => {
    await Promise.all(started.map((c) => c.stop().catch(() => undefined)));
    await network.stop().catch(() => undefined);
  };
  try {
    // All at once, as in compose: from RabbitMQ 3.13 a new node waits for a second listed node to answer
    // (up to 30 tries) before it forms a cluster, and every node then joins the oldest one.
    await Promise.all(nodes.map((_, i) => start(i)));
    const info: ClusterInfo = { source: 'docker', description: `${size} containers of ${RABBITMQ_IMAGE} (${names.join(', ')})`, nodes };
    await waitForMembers(info, size);
    return { info, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
