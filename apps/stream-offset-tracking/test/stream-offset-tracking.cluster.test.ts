// Offset tracking on a three-node cluster: the node holding the stream's leader is killed between two
// runs of the reader; the stream (replicated on every node) and the offset stored in it survive.
import { describe, expect, it } from 'vitest';
import { cluster, clusterManagement, eventually, killNode, noCluster, runApp, servesStreamClient, useClusterVhost } from '@rabbit-tutorials/testing';

const vhost = useClusterVhost();
const STREAM = 'stream-offset-tracking-javascript';
/** Why the stream client cannot be used on the cluster (RabbitMQ before 3.11), or undefined. */
async function tooOld(): Promise<string | undefined> {
  const version = (await clusterManagement().overview()).rabbitmq_version;
  return servesStreamClient(version) ? undefined : `RabbitMQ ${version} is older than 3.11, which rabbitmq-stream-js-client needs`;
}

describe.skipIf(Boolean(noCluster()))(`stream-offset-tracking on a three-node cluster${noCluster() ? ` (skipped: ${noCluster()})` : ''}`, () => {
  it('kill -9 of the stream leader\'s node: a new leader, and the reader goes on after its stored offset through another node', async (ctx) => {
    const old = await tooOld(); // every node runs again here (useClusterVhost)
    if (old) return ctx.skip(old);
    const [leaderNode, other] = cluster().nodes;
    const done = /^ \[x\] Done consuming, first offset was (\d+), last offset was (\d+) \((\d+) messages\)$/m;
    expect((await runApp('stream-offset-tracking', 'send', [], vhost.env(leaderNode))).code).toBe(0);
    const api = clusterManagement(other);
    expect((await api.queue(vhost.name, STREAM)).leader).toBe(leaderNode!.nodeName);
    const firstRun = await runApp('stream-offset-tracking', 'receive', [], vhost.env(leaderNode));
    const [, , last1, count1] = done.exec(firstRun.stdout)!.map(Number);
    expect(count1).toBe(100);

    await killNode(leaderNode!);
    await eventually(async () => {
      const { leader } = await api.queue(vhost.name, STREAM);
      return typeof leader === 'string' && leader !== leaderNode!.nodeName;
    }, 60_000, 'a new stream leader');
    // Both programs are given the dead node first: they try the next address.
    const sent = await runApp('stream-offset-tracking', 'send', [], vhost.env(leaderNode));
    expect(sent.code).toBe(0);
    expect(sent.stderr).toMatch(/trying the next address/);
    const secondRun = await runApp('stream-offset-tracking', 'receive', [], vhost.env(leaderNode));
    expect(secondRun.stdout).toContain(` [*] Start consuming at offset ${last1! + 1}`);
    expect(done.exec(secondRun.stdout)![3]).toBe('100');
  });
});
