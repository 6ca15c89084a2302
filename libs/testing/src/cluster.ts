// The cluster tests' helpers: the three-node cluster of cluster-setup.ts, a fresh vhost per test,
// programs pointed at the nodes in a chosen order, and every node running again before each test.
import { awaitOnlineMembers, type ClusterInfo, type ClusterNode, managementOf, nodeRunning, nodesUrl, startNode, thawNode, waitForMembers } from '@rabbit-tutorials/broker';
import { Management } from '@rabbit-tutorials/management';
import { afterEach, beforeEach, inject } from 'vitest';
import { uniqueName } from './index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: { cluster?: ClusterInfo; skip?: string };
  }
}

/** Why the cluster tests cannot run here, or undefined. */
export function noCluster(): string | undefined {
  return inject('cluster').skip;
}

export function cluster(): ClusterInfo {
  const { cluster, skip } = inject('cluster');
  if (!cluster) throw new Error(skip);
  return cluster;
}

/** The management API of a node (any running node answers for the whole cluster; default the first). */
export function clusterManagement(node = cluster().nodes[0]!): Management {
  return new Management(managementOf(node));
}

/** Nodes killed or frozen by the previous test run again, and the cluster has all its members; the nodes started. */
async function heal(): Promise<ClusterNode[]> {
  const { nodes } = cluster();
  const started: ClusterNode[] = [];
  for (const node of nodes) {
    await thawNode(node);
    if (await nodeRunning(node)) continue;
    await startNode(node);
    started.push(node);
  }
  await waitForMembers(cluster(), nodes.length);
  return started;
}

/** The queues of the nodes started again have their members back (said, not failed, when the check cannot tell). */
async function membersBack(started: ClusterNode[]): Promise<void> {
  for (const node of started) {
    const why = await awaitOnlineMembers(node);
    if (why) console.log(`[cluster] ${why}`);
  }
}

export interface ClusterVhost {
  readonly name: string;
  /**
   * Environment for a program: RABBITMQ_URL lists every node, `first` first (the node it connects to),
   * the others after it in order; the stream ports in the same order.
   */
  env(first?: ClusterNode): Record<string, string>;
}

/** A fresh vhost on the cluster for each test, with every node running at its start. */
export function useClusterVhost(): ClusterVhost {
  let name = '';
  beforeEach(async () => {
    await membersBack(await heal());
    name = uniqueName('cluster');
    const api = clusterManagement();
    await api.createVhost(name);
    await api.setPermissions(name, 'guest');
  }, 180_000);
  afterEach(async () => {
    const started = await heal();
    await clusterManagement().deleteVhost(name); // first: the check then waits only on what is left
    await membersBack(started);
  }, 180_000);
  return {
    get name() {
      return name;
    },
    env(first = cluster().nodes[0]!) {
      const { nodes } = cluster();
      const start = nodes.indexOf(first);
      const ordered = [...nodes.slice(start), ...nodes.slice(0, start)];
      return {
        RABBITMQ_URL: nodesUrl(ordered, name),
        RABBITMQ_STREAM_PORT: ordered.map((n) => n.ports.stream).join(','),
        RABBITMQ_RETRY_DELAY_MS: '200',
        RABBITMQ_CONNECTION_ATTEMPTS: '10',
      };
    },
  };
}
