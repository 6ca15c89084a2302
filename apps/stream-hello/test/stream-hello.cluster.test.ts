// stream-hello's reader on a three-node cluster: the node its consumer reads from is killed. The stream
// client does not reconnect a consumer by itself: the program says so in one line and exits at once, so
// that a restart policy (compose's, a supervisor's) brings it back, rather than hanging on.
import { describe, expect, it } from 'vitest';
import { cluster, clusterManagement, killNode, noCluster, servesStreamClient, startApp, useClusterVhost } from '@rabbit-tutorials/testing';

const vhost = useClusterVhost();

describe.skipIf(Boolean(noCluster()))(`stream-hello on a three-node cluster${noCluster() ? ` (skipped: ${noCluster()})` : ''}`, () => {
  it('kill -9 of the node its consumer reads from: one error line and exit 1 within seconds', async (ctx) => {
    const version = (await clusterManagement().overview()).rabbitmq_version;
    if (!servesStreamClient(version)) return ctx.skip(`RabbitMQ ${version} is older than 3.11, which rabbitmq-stream-js-client needs`);
    // Heartbeat 5 s: a killed node's sockets close at once (exit 1.0 s after the kill, measured), but once the close
    // never reached the client and only its heartbeat told (120 s later, at the default 60 s).
    const receive = startApp('stream-hello', 'receive', [], { ...vhost.env(cluster().nodes[1]), RABBITMQ_HEARTBEAT: '5' });
    await receive.waitFor(/Waiting for messages/);
    // The node of its consumer's connection (a replica's or the leader's), from the stream plugin's list.
    let node: string | undefined;
    await expect.poll(async () => {
      const consumers = await clusterManagement().request<{ connection_details?: { node?: string } }[]>('GET', `/stream/consumers/${encodeURIComponent(vhost.name)}`);
      return (node = consumers[0]?.connection_details?.node);
    }, { timeout: 10_000 }).toBeDefined();
    const killedAt = Date.now();
    await killNode(cluster().nodes.find((n) => n.nodeName === node)!);
    const { code } = await receive.exited;
    const exitMs = Date.now() - killedAt;
    console.log(`[cluster] stream-hello receive: its consumer's node killed, exit ${code} after ${exitMs} ms`);
    expect(code).toBe(1);
    expect(receive.stderr).toContain('error: the connection to the broker was lost');
    expect(exitMs).toBeLessThan(2 * 5000 + 5000); // two heartbeats at most, and the close
  });
});
