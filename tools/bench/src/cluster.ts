// The cluster section of npm run bench: the same publish and consume on a three-node cluster (of the same
// kind as the single broker: containers or local nodes) as on the single node, and how long a producer
// takes to confirm again after its node's kill -9, in a sequence of kills and restarts.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { awaitOnlineMembers, type ClusterNode, dockerAvailable, hasLocalRabbitmq, killNode, nodesUrl, resolveCluster, spawnApp, startNode, waitForMembers } from '@rabbit-tutorials/broker';
import { connect, loadConfig } from '@rabbit-tutorials/connection';
import { formatNumber, table } from '@rabbit-tutorials/management';
import { barePublish, connectBare } from './bare.js';
import { spread } from './index.js';

const PUBLISH = 30_000;
const CONSUME = 30_000;
const ROUNDS = 3;
const SEQUENCE_ROUNDS = 2;

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
    const figures = {
      single: { publish: [] as number[], consume: [] as number[], cpu: [] as number[], idle: [] as number[] },
      cluster: { publish: [] as number[], consume: [] as number[], cpu: [] as number[], idle: [] as number[] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [side, sideEnv, url] of [['single', single.env, single.env.RABBITMQ_URL!], ['cluster', env, first]] as const) {
        const admin = await connect({ config: loadConfig({ ...sideEnv, RABBITMQ_URL: url }), name: 'bench' });
        const channel = await admin.createChannel();
        const fresh = async () => {
          await channel.deleteQueue('task_queue');
          await channel.assertQueue('task_queue', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
        };
        await fresh();
        const run = spawnApp('task-queue', 'many-tasks', ['--count', String(PUBLISH), '--window', '1000', 'bench'], sideEnv);
        await run.waitFor(/confirmed \d+\//, 1, 60_000); // its first confirm: from here on, the publishing (not its start-up)
        const [before, publishing] = [machineCpu(), performance.now()];
        await run.exited;
        figures[side].publish.push(Number(/\((\d+) msg\/s\)/.exec(run.stdout.join('\n'))?.[1] ?? NaN));
        // What the whole machine spent publishing (broker nodes, producer, the rest): why the cluster's rate is what it is.
        const after = machineCpu();
        if (before && after) {
          const busy = (after.busy - before.busy) / (after.total - before.total);
          figures[side].cpu.push((busy * availableParallelism() * (performance.now() - publishing) * 1000) / PUBLISH);
          figures[side].idle.push(100 * (1 - busy));
        }

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
    // Kill, restart, kill: a producer on each node in turn, its node killed (kill -9) a second into
    // publishing, then started again (back once its queues' members are online), then the next node's
    // turn at once. Ours: the time from each kill to the producer's next confirm; the broker's floor: how
    // long the queue had no leader, from the surviving nodes' logs (when the killed node held it).
    const firstConfirm: number[] = [];
    const leaderless: number[] = [];
    for (let round = 0; round < SEQUENCE_ROUNDS; round++) {
      for (const node of cluster.nodes) {
        const rest = cluster.nodes.filter((n) => n !== node);
        const producer = spawnApp('task-queue', 'many-tasks', ['--count', '50000', 'failover'], { ...env, RABBITMQ_URL: nodesUrl([node, ...rest]) });
        await producer.waitFor(/confirmed [1-9]\d{3,}\/\d+/, 1, 60_000);
        const [killedAt, killedWall] = [performance.now(), Date.now()];
        await killNode(node);
        try {
          await producer.waitFor(/confirmed again \d+ ms/, 1, 120_000);
          firstConfirm.push(performance.now() - killedAt);
        } finally {
          await producer.stop();
          const gap = leaderlessMs(rest, node, killedWall);
          if (gap !== undefined) leaderless.push(gap);
          await startNode(node);
          await waitForMembers(cluster, cluster.nodes.length);
          const why = await awaitOnlineMembers(node);
          if (why) console.error(`[bench] ${why}`);
        }
      }
    }
    const best = (xs: number[]) => Math.max(...xs);
    const mark = (ok: boolean) => (ok ? '✓' : '✗');
    const ratio = (a: number[], b: number[]) => `${formatNumber((100 * best(a)) / best(b))}%`;
    const worstFailover = Math.max(...firstConfirm);
    const kills = firstConfirm.length;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    const { single: one, cluster: three } = figures;
    return {
      table: table([`three-node cluster (${cluster.source === 'local' ? 'local nodes' : 'containers'})`, 'unit', 'cluster', 'rounds', 'single node', 'rounds', 'cluster/single', 'target'], [
        ['publish, persistent + confirmed (pipelined)', 'msg/s', best(three.publish), spread(three.publish), best(one.publish), spread(one.publish),
          ratio(three.publish, one.publish), `≥ 50% ${mark(best(three.publish) >= best(one.publish) / 2)}`],
        ...(three.cpu.length && one.cpu.length ? [
          ['  the machine\'s CPU per confirmed message (all processes; best round)', 'µs', Math.min(...three.cpu), spread(three.cpu), Math.min(...one.cpu), spread(one.cpu),
            `${formatNumber((100 * Math.min(...three.cpu)) / Math.min(...one.cpu))}%`, ''],
          ['  the cores idle while publishing', '%', Math.max(...three.idle), spread(three.idle), Math.max(...one.idle), spread(one.idle), '', ''],
        ] : []),
        ['consume, manual ack, prefetch 100', 'msg/s', best(three.consume), spread(three.consume), best(one.consume), spread(one.consume), ratio(three.consume, one.consume), ''],
        [`kill, restart, kill (${kills} kills of the producer's node): first confirm, p50`, 'ms', median(firstConfirm), spread(firstConfirm), '', '', '', ''],
        ['  the same, max', 'ms', worstFailover, '', '', '', '', `≤ 5,000 ${mark(worstFailover <= 5000)}`],
        cluster.source === 'local'
          ? [`  the broker: task_queue without a leader (${leaderless.length} of the kills took its leader), p50 / max`, 'ms',
            leaderless.length ? `${formatNumber(median(leaderless))} / ${formatNumber(Math.max(...leaderless))}` : 'none', spread(leaderless), '', '', '', '']
          : ['  the broker: task_queue without a leader', 'ms', 'not read (container logs)', '', '', '', '', ''],
      ]),
    };
  } finally {
    await stop();
  }
}

/** The machine's CPU time so far, in /proc/stat's units: busy (all but idle and iowait) and total; undefined off Linux. */
function machineCpu(): { busy: number; total: number } | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is counted in user already)
  const times = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
  const [idle = 0, iowait = 0] = times.slice(3, 5);
  const total = times.reduce((a, b) => a + b, 0);
  return { busy: total - idle - iowait, total };
}

/**
 * How long task_queue had no leader after `killed` died, from the surviving nodes' logs (Ra's lines): from
 * the first "Leader monitor down" after the kill to the first line naming a new leader on another node.
 * Undefined when no election followed (the leader was elsewhere), or the logs are not local files.
 */
function leaderlessMs(survivors: ClusterNode[], killed: ClusterNode, since: number): number | undefined {
  const line = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\d*([+-]\d\d:\d\d) \[\w+\] <[^>]*> queue 'task_queue' in vhost '\/': (.*)$/;
  const events: { at: number; text: string }[] = [];
  for (const node of survivors) {
    if (!node.local) return undefined;
    const dir = join(node.local.dir, 'log');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
      for (const text of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const m = line.exec(text);
        const at = m ? Date.parse(`${m[1]}T${m[2]}${m[3]}`) : NaN;
        if (at >= since - 50) events.push({ at, text: m![4]! });
      }
    }
  }
  events.sort((a, b) => a.at - b.at);
  const down = events.find((e) => e.text.startsWith('Leader monitor down'));
  if (!down) return undefined;
  const elected = events.find((e) => e.at >= down.at && (/candidate -> leader/.test(e.text) ||
    (/detected a new leader/.test(e.text) && !e.text.includes(`'${killed.nodeName}'`))));
  return elected ? elected.at - down.at : undefined;
}
