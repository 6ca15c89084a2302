// The cluster section of npm run bench: the same publish and consume on a three-node cluster (of the same
// kind as the single broker: containers or local nodes) as on the single node, and how long a producer
// takes to confirm again after its node's kill -9.
import { dockerAvailable, hasLocalRabbitmq, killNode, nodesUrl, resolveCluster, spawnApp, startNode, waitForMembers } from '@rabbit-tutorials/broker';
import { connect, loadConfig } from '@rabbit-tutorials/connection';
import { formatNumber, table } from '@rabbit-tutorials/management';
import { barePublish, connectBare } from './bare.js';

const PUBLISH = 30_000;
const CONSUME = 30_000;
const ROUNDS = 3;

export interface ClusterResult {
  table: string;
  /** Why it was not measured. */
  skipped?: string;
}

/** Measures the cluster next to the single node's figures (best of three rounds; the failover of each). */
export async function clusterSection(single: { publish: number; consume: number; local: boolean }): Promise<ClusterResult> {
  if (!hasLocalRabbitmq() && !(await dockerAvailable())) return { table: '', skipped: 'not measured: it needs a Docker engine or rabbitmq-server' };
  const { info: cluster, stop } = await resolveCluster({ size: 3, preferLocal: single.local });
  try {
    const env = { RABBITMQ_URL: nodesUrl(cluster.nodes), RABBITMQ_RETRY_DELAY_MS: '200', RABBITMQ_CONNECTION_ATTEMPTS: '10' };
    const first = nodesUrl([cluster.nodes[0]!]);
    const admin = await connect({ config: loadConfig({ RABBITMQ_URL: first }), name: 'bench' });
    const channel = await admin.createChannel();
    const fresh = async () => {
      await channel.deleteQueue('task_queue');
      await channel.assertQueue('task_queue', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    };
    const publish: number[] = [];
    const consume: number[] = [];
    const failover: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await fresh();
      const run = spawnApp('task-queue', 'new-task', ['--count', String(PUBLISH), '--window', '1000', 'bench'], env);
      await run.exited;
      publish.push(Number(/\((\d+) msg\/s\)/.exec(run.stdout.join('\n'))?.[1] ?? NaN));

      await fresh();
      const filler = await connectBare(first);
      await barePublish(await filler.createConfirmChannel(), 'task_queue', CONSUME, 1000, 'task');
      await filler.close();
      const worker = spawnApp('task-queue', 'worker', ['--prefetch', '100', '--dot-ms', '0', '--quiet'], env);
      await worker.waitFor(/connected to/, 1, 60_000);
      const started = performance.now();
      while ((await channel.checkQueue('task_queue')).messageCount > 0) await new Promise((resolve) => setTimeout(resolve, 2));
      consume.push(CONSUME / ((performance.now() - started) / 1000));
      await worker.stop();
    }
    await admin.close(); // it is on the first node, killed below
    // Failover: kill -9 the node a producer publishes to (each round another), time its next confirm.
    for (let round = 0; round < ROUNDS; round++) {
      const node = cluster.nodes[round % cluster.nodes.length]!;
      const rest = cluster.nodes.filter((n) => n !== node);
      const producer = spawnApp('task-queue', 'new-task', ['--count', '200000', 'failover'], { ...env, RABBITMQ_URL: nodesUrl([node, ...rest]) });
      await producer.waitFor(/confirmed \d+\/\d+/, 1, 60_000);
      const killedAt = performance.now();
      await killNode(node);
      await producer.waitFor(/confirmed again \d+ ms/, 1, 120_000);
      failover.push(performance.now() - killedAt);
      await producer.stop();
      await startNode(node);
      await waitForMembers(cluster, cluster.nodes.length);
    }
    const best = (xs: number[]) => Math.max(...xs);
    const spread = (xs: number[]) => `${formatNumber(Math.min(...xs))}-${formatNumber(Math.max(...xs))}`;
    const mark = (ok: boolean) => (ok ? '✓' : '✗');
    const worstFailover = Math.max(...failover);
    return {
      table: table([`three-node cluster (${cluster.source === 'local' ? 'local nodes' : 'containers'})`, 'unit', 'cluster', 'rounds', 'single node', 'cluster/single', 'target'], [
        ['publish, persistent + confirmed (pipelined)', 'msg/s', best(publish), spread(publish), single.publish,
          `${formatNumber((100 * best(publish)) / single.publish)}%`, `≥ 50% ${mark(best(publish) >= single.publish / 2)}`],
        ['consume, manual ack, prefetch 100', 'msg/s', best(consume), spread(consume), single.consume, `${formatNumber((100 * best(consume)) / single.consume)}%`, ''],
        ['kill -9 of the producer\'s node: confirmed again after', 'ms', worstFailover, spread(failover), '', '', `≤ 5,000 ${mark(worstFailover <= 5000)}`],
      ]),
    };
  } finally {
    await stop();
  }
}
