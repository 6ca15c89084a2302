// The task queue on a three-node cluster: a node killed (kill -9), the quorum queue's leader killed, a
// rolling restart and a frozen node, each under load. Every program is given all three addresses.
import { describe, expect, it } from 'vitest';
import { type AppProcess, cluster, clusterManagement, eventually, freezeNode, killNode, noCluster, restartNode, runApp, startApp, thawNode, urlHost, useClusterVhost } from '@rabbit-tutorials/testing';
import { WorkerPool } from './workers.js';

const vhost = useClusterVhost();

/** Checks what a run left: every task done, and a task done twice only if redelivered or published again. */
function checkDone(pool: WorkerPool, producer: AppProcess, total: number) {
  const counts = pool.doneCounts();
  expect(counts.size).toBe(total);
  const redelivered = pool.redelivered();
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  // Tasks sent but not seen confirmed when the producer's connection was cut are published again.
  const republished = producer.stderr.map((l) => Number(/\((\d+) of them sent already/.exec(l)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
  // Each extra run of a task not redelivered is one more publish of it (a task published three times may run three times).
  const extra = [...counts].filter(([id, n]) => n > 1 && !redelivered.has(id)).reduce((sum, [, n]) => sum + n - 1, 0);
  expect(extra).toBeLessThanOrEqual(republished);
  return { duplicates: twice.length, redelivered: redelivered.size, republished };
}

describe.skipIf(Boolean(noCluster()))(`task-queue on a three-node cluster${noCluster() ? ` (skipped: ${noCluster()})` : ''}`, () => {
  it('kill -9 of the node the producer and the workers are connected to: all move to another node, every confirmed task is done', async () => {
    const [node] = cluster().nodes;
    const env = vhost.env(node);
    const total = 20_000;
    const pool = new WorkerPool(env, ['--dot-ms', '0', '--prefetch', '50']);
    await pool.start(2);
    const producer = startApp('task-queue', 'many-tasks', ['--count', String(total), 'task'], env);
    await producer.waitFor(/confirmed \d+\/\d+/, 1, 30_000); // publishing for a second

    const killedAt = Date.now();
    await killNode(node!);
    await producer.waitFor(/confirmed again \d+ ms after the last confirm/, 1, 60_000);
    const failoverMs = Date.now() - killedAt;
    expect((await producer.exited).code).toBe(0);
    await pool.untilAllDone(total, 120_000);
    const figures = checkDone(pool, producer, total);
    for (const worker of pool.workers) {
      expect(worker.stderr.join('\n')).toMatch(/reconnected to amqp:\/\/guest@\S+:\d+\/.*; topology and consumers restored/);
      expect(worker.stderr.join('\n')).not.toContain(`reconnected to amqp://guest@${urlHost(node!.host)}:${node!.ports.amqp}/`);
      expect(worker.child.exitCode).toBeNull();
    }
    console.log(`[cluster] kill -9 of the producer's node: confirmed again ${failoverMs} ms after the kill; ` +
      `${figures.duplicates} task(s) done twice (${figures.redelivered} redelivered, ${figures.republished} published again)`);
    expect(failoverMs).toBeLessThan(30_000);
  });

  it('kill -9 of the node holding the quorum queue\'s leader: a new leader is elected, the consumers go on, no confirmed task is lost', async () => {
    const [leaderNode, clientNode] = cluster().nodes;
    // Declared through the first node, the queue's leader is there; the programs use another node.
    expect((await runApp('task-queue', 'new-task', ['declare'], vhost.env(leaderNode))).code).toBe(0);
    const api = clusterManagement(clientNode);
    expect((await api.queue(vhost.name, 'task_queue')).leader).toBe(leaderNode!.nodeName);
    expect((await api.queue(vhost.name, 'task_queue')).members).toHaveLength(3); // a replica on every node
    const env = vhost.env(clientNode);
    const total = 20_000;
    const pool = new WorkerPool(env, ['--dot-ms', '0', '--prefetch', '50']);
    await pool.start(2);
    const producer = startApp('task-queue', 'many-tasks', ['--count', String(total), 'task'], env);
    await producer.waitFor(/confirmed \d+\/\d+/, 1, 30_000);

    const killedAt = Date.now();
    await killNode(leaderNode!);
    let leader: string | undefined;
    await eventually(async () => {
      leader = (await api.queue(vhost.name, 'task_queue')).leader;
      return typeof leader === 'string' && leader !== leaderNode!.nodeName; // null while the election runs
    }, 30_000, 'a new leader');
    const electedMs = Date.now() - killedAt;
    expect((await producer.exited).code).toBe(0);
    await pool.untilAllDone(total, 120_000);
    const figures = checkDone(pool, producer, total);
    // Their node stayed up: the consumers were never cut off.
    for (const worker of pool.workers) {
      expect(worker.stderr.join('\n')).not.toMatch(/connection lost/);
      expect(worker.child.exitCode).toBeNull();
    }
    console.log(`[cluster] kill -9 of the leader's node: new leader ${leader} seen ${electedMs} ms after the kill; ` +
      `${figures.duplicates} task(s) done twice (${figures.redelivered} redelivered, ${figures.republished} published again)`);
  });

  it('a rolling restart of the three nodes, one at a time, under load: no program exits, no confirmed task is lost', async () => {
    const { nodes } = cluster();
    const env = vhost.env(nodes[0]);
    const pool = new WorkerPool(env, ['--dot-ms', '0', '--prefetch', '50']);
    await pool.start(2);
    // Producers one after another for as long as the restarts last, each run's tasks named apart.
    const runs: AppProcess[] = [];
    let restarting = true;
    const failed: string[] = []; // said after the restarts: a run cut short by the test's own end is not one
    const producing = (async () => {
      while (restarting) {
        const run = startApp('task-queue', 'many-tasks', ['--count', '1000', `run${runs.length}`], env);
        runs.push(run);
        const { code } = await run.exited;
        if (code !== 0 && restarting) failed.push(`run${runs.length - 1} exited with ${code}: ${run.stderr.join('\n')}`);
      }
    })();
    const started = Date.now();
    for (const node of nodes) {
      await runs[0]?.waitFor(/confirmed/, 1, 30_000);
      await restartNode(cluster(), node);
    }
    const restartMs = Date.now() - started;
    restarting = false;
    await producing;
    expect(failed).toEqual([]);
    const expected = runs.length * 1000;
    const done = () => new Set(pool.workers.flatMap((w) => w.matching(/^ \[x\] Done run\d+ #\d+$/)).map((l) => l.slice(10)));
    await eventually(() => done().size === expected, 120_000, `${expected} tasks done`);
    for (const worker of pool.workers) expect(worker.child.exitCode).toBeNull();
    console.log(`[cluster] rolling restart: ${Math.round(restartMs / 1000)} s for the three nodes; ${runs.length} producer runs, ${expected} tasks, all done`);
  });

  it('a frozen node (SIGSTOP, then SIGCONT 30 s later): its clients notice within two heartbeats and move; nothing confirmed is lost', async () => {
    const [frozen] = cluster().nodes;
    const env = { ...vhost.env(frozen), RABBITMQ_HEARTBEAT: '5' };
    const total = 20_000;
    const pool = new WorkerPool(env, ['--dot-ms', '0', '--prefetch', '50']);
    await pool.start(2);
    const producer = startApp('task-queue', 'many-tasks', ['--count', String(total), 'task'], env);
    await producer.waitFor(/confirmed \d+\/\d+/, 1, 30_000);

    const frozenAt = Date.now();
    await freezeNode(frozen!);
    const noticed = await Promise.all(pool.workers.map(async (w) => {
      await w.waitFor(/connection lost: .*stopped answering: no heartbeat for two intervals/, 1, 30_000);
      return Date.now() - frozenAt;
    }));
    expect(Math.max(...noticed)).toBeLessThan(2 * 5000 + 2000); // two intervals, and the 250 ms check
    // They connect to another node at once, but its queue.declare waits: the other nodes keep the frozen
    // one as a member until net_ticktime (60 s) says it is gone, and a declare involves every member.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - frozenAt))));
    await thawNode(frozen!);
    await Promise.all(pool.workers.map((w) => w.waitFor(/reconnected to /, 1, 60_000)));
    const movedMs = Date.now() - frozenAt;
    for (const worker of pool.workers) expect(worker.stderr.join('\n')).not.toContain(`reconnected to amqp://guest@${urlHost(frozen!.host)}:${frozen!.ports.amqp}/`);
    expect((await producer.exited).code).toBe(0);
    // The gap it reports runs from its last confirm before the freeze, not from when its watchdog gave up (15 s later).
    const again = /confirmed again (\d+) ms after the last confirm/;
    const gapMs = Number(again.exec(producer.stderr.find((l) => again.test(l))!)![1]);
    expect(gapMs).toBeGreaterThanOrEqual(producer.arrivedAt(again)! - frozenAt - 1000);
    await pool.untilAllDone(total, 120_000);
    const figures = checkDone(pool, producer, total);
    console.log(`[cluster] frozen node: the producer confirmed again after a gap of ${gapMs} ms; workers noticed in ${noticed.join(' and ')} ms, back to work on another node ${movedMs} ms after the freeze (thawed at 30 s); ` +
      `${figures.duplicates} task(s) done twice`);
  });
});
