// The cluster section of npm run bench: the same publish and consume on a three-node cluster (of the same
// kind as the single broker: containers or local nodes) as on the single node, and how long a producer
// takes to confirm again after its node's kill -9.
import { dockerAvailable, hasLocalRabbitmq, killNode, nodesUrl, resolveCluster, spawnApp, startNode, waitForMembers } from '@rabbit-tutorials/broker';
import { connect, loadConfig } from '@rabbit-tutorials/connection';
import { formatNumber, table } from '@rabbit-tutorials/management';
import { barePublish, connectBare } from './bare.js';
import { spread } from './index.js';

const PUBLISH = 30_000;
const CONSUME = 30_000;
const ROUNDS = 3;

export interface ClusterResult {
  table: string;
  /** Why it was not measured. */
  skipped?: string;
}

/**
 * Measures the cluster next to the single broker, in alternating rounds (single, cluster, single...) so
 * that both meet the machine in the same state; best of three each, with the spread of the rounds.
 */
export async function clusterSection(single: { env: Record<string, string>; local: boolean }): Promise<ClusterResult> {
  if (!hasLocalRabbitmq() && !(await dockerAvailable())) return { table: '', skipped: 'not measured: it needs a Docker engine or rabbitmq-server' };
  const { info: cluster, stop } = await resolveCluster({ size: 3, preferLocal: single.local });
  try {
    const env = { RABBITMQ_URL: nodesUrl(cluster.nodes), RABBITMQ_RETRY_DELAY_MS: '200', RABBITMQ_CONNECTION_ATTEMPTS: '10' };
    const first = nodesUrl([cluster.nodes[0]!]);
    const figures = { single: { publish: [] as number[], consume: [] as number[] }, cluster: { publish: [] as number[], consume: [] as number[] } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [side, sideEnv, url] of [['single', single.env, single.env.RABBITMQ_URL!], ['cluster', env, first]] as const) {
        const admin = await connect({ config: loadConfig({ ...sideEnv, RABBITMQ_URL: url }), name: 'bench' });
        const channel = await admin.createChannel();
        const fresh = async () => {
          await channel.deleteQueue('task_queue');
          await channel.assertQueue('task_queue', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
        };
        await fresh();
        const run = spawnApp('task-queue', 'new-task', ['--count', String(PUBLISH), '--window', '1000', 'bench'], sideEnv);
        await run.exited;
        figures[side].publish.push(Number(/\((\d+) msg\/s\)/.exec(run.stdout.join('\n'))?.[1] ?? NaN));

        await fresh();
        const filler = await connectBare(url);
        await barePublish(await filler.createConfirmChannel(), 'task_queue', CONSUME, 1000, 'task');
        await filler.close();
        const worker = spawnApp('task-queue', 'worker', ['--prefetch', '100', '--dot-ms', '0', '--quiet'], sideEnv);
        await worker.waitFor(/connected to/, 1, 60_000);
        const started = performance.now();
        while ((await channel.checkQueue('task_queue')).messageCount > 0) await new Promise((resolve) => setTimeout(resolve, 2));
        figures[side].consume.push(CONSUME / ((performance.now() - started) / 1000));
        await worker.stop();
        await channel.deleteQueue('task_queue');
        await admin.close();
      }
    }
    const failover: number[] = [];
    // Failover: kill -9 the node a producer publishes to (each round another), time its next confirm.
    for (let round = 0; round < ROUNDS; round++) {
      const node = cluster.nodes[round % cluster.nodes.length]!;
      const rest = cluster.nodes.filter((n) => n !== node);
      const producer = spawnApp('task-queue', 'new-task', ['--count', '200000', 'failover'], { ...env, RABBITMQ_URL: nodesUrl([node, ...rest]) });
      // Publishing for a second (the queue it declared has its three members by then), then the kill.
      await producer.waitFor(/confirmed [1-9]\d{3,}\/\d+/, 1, 60_000);
      const killedAt = performance.now();
      await killNode(node);
      try {
        await producer.waitFor(/confirmed again \d+ ms/, 1, 120_000);
        failover.push(performance.now() - killedAt);
      } finally {
        await producer.stop();
        await startNode(node);
        await waitForMembers(cluster, cluster.nodes.length);
      }
    }
    const best = (xs: number[]) => Math.max(...xs);
    const mark = (ok: boolean) => (ok ? '✓' : '✗');
    const ratio = (a: number[], b: number[]) => `${formatNumber((100 * best(a)) / best(b))}%`;
    const worstFailover = Math.max(...failover);
    const { single: one, cluster: three } = figures;
    return {
      table: table([`three-node cluster (${cluster.source === 'local' ? 'local nodes' : 'containers'})`, 'unit', 'cluster', 'rounds', 'single node', 'rounds', 'cluster/single', 'target'], [
        ['publish, persistent + confirmed (pipelined)', 'msg/s', best(three.publish), spread(three.publish), best(one.publish), spread(one.publish),
          ratio(three.publish, one.publish), `≥ 50% ${mark(best(three.publish) >= best(one.publish) / 2)}`],
        ['consume, manual ack, prefetch 100', 'msg/s', best(three.consume), spread(three.consume), best(one.consume), spread(one.consume), ratio(three.consume, one.consume), ''],
        ['kill -9 of the producer\'s node: confirmed again after', 'ms', worstFailover, spread(failover), '', '', '', `≤ 5,000 ${mark(worstFailover <= 5000)}`],
      ]),
    };
  } finally {
    await stop();
  }
}
